package org.pkvm4j.host.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.verify.TypeInfo.Realm;

/**
 * The bundled allow-list as it was computed against the build's JDK, made at build time ({@link
 * AllowlistModelWriter}) into the resource {@value #RESOURCE} of this package: what {@link
 * El2Allowlist} admits, and the JDK classes it names with all their supertypes as {@link
 * RuntimeTypes} reflects them. A cold JVM then neither reflects over every allow-listed class nor
 * expands every entry: it reads a small header, and each class's members when it is first asked
 * about (ADR 0018, third session).
 *
 * <p>It is used only when it was made from this very JDK ({@link JdkIdentity}) and from the very
 * allow-list text being read (its SHA-256); otherwise nothing of it is used and {@code
 * El2Allowlist} reflects and expands exactly as without it. It holds only classes that exist,
 * never an absence: a class it does not hold is asked of the JDK.
 *
 * <p>Format {@value #FORMAT}, ASCII text, one item a line, {@code #} comments first:
 * <pre>
 * format 1
 * jdk IDENTITY                     JdkIdentity.running() of the build's JDK
 * allowlist SHA256                 of the allow-list text it was computed from
 * C BINARY_NAME                    a class El2Allowlist.admitsClass admits
 * B OWNER.NAME(DESCRIPTOR)         a bootstrap it admits
 * I INTERNAL_NAME OFFSET LENGTH    where that class's block is, in characters after "body"
 * body
 * T INTERNAL_NAME i|c pub|- SUPER|- [INTERFACE...]   a block: the class,
 * M FLAGS KEY                      each member it declares (reflection's modifiers, decimal),
 * A KEY                            each member admitted with it as the owner
 * </pre>
 * {@code KEY} is {@code name(descriptor)} or {@code name:descriptor}, as {@link TypeInfo#members()}.
 */
final class AllowlistModel {
    /** The resource's name, next to this class. */
    static final String RESOURCE = "el2-allowlist.model";
    /** The format this code reads and writes. */
    static final int FORMAT = 1;

    private final String text;
    private final int body;
    private final String allowlistSha256;
    private final Set<String> classes;
    private final Set<String> bootstraps;
    /** Internal name to {offset, length} of its block after {@link #body}. */
    private final Map<String, int[]> index;
    private final Map<String, Block> blocks = new ConcurrentHashMap<>();

    /** One class's block, parsed. */
    private record Block(TypeInfo type, Set<String> admitted) {
    }

    /** What {@link #blocks} holds for a block that cannot be parsed. */
    private static final Block UNREADABLE = new Block(null, Set.of());

    private AllowlistModel(String text, int body, String allowlistSha256, Set<String> classes, Set<String> bootstraps,
            Map<String, int[]> index) {
        this.text = text;
        this.body = body;
        this.allowlistSha256 = allowlistSha256;
        this.classes = classes;
        this.bootstraps = bootstraps;
        this.index = index;
    }

    /** The bundled model if it was made from the running JDK, else null; read once per JVM. */
    static AllowlistModel bundled() {
        return Bundled.MODEL;
    }

    /** Whether it was computed from exactly this allow-list text. */
    boolean isFor(String allowlistText) {
        return allowlistSha256.equals(sha256(allowlistText));
    }

    /** The class of that internal name as it was reflected at build time, or null: then ask the JDK. */
    TypeInfo type(String internalName) {
        Block b = block(internalName);
        return b == null || b == UNREADABLE ? null : b.type();
    }

    /**
     * {@link El2Allowlist#admitsMember}, binary owner name; null if the owner's block cannot be read:
     * then reflection must answer.
     */
    Boolean admitsMember(String owner, String name, String descriptor) {
        Block b = block(owner.replace('.', '/'));
        if (b == UNREADABLE) {
            return null;
        }
        return b != null && b.admitted().contains(descriptor.startsWith("(") ? name + descriptor : name + ":" + descriptor);
    }

    /** {@link El2Allowlist#admitsBootstrap}, as {@code owner.name(descriptor)}. */
    boolean admitsBootstrap(String key) {
        return bootstraps.contains(key);
    }

    /** {@link El2Allowlist#admitsClass} for a class (not an array), binary name. */
    boolean admitsClass(String binaryName) {
        return classes.contains(binaryName);
    }

    /** What it admits, as {@link El2Allowlist#canonical()}: every block read; null if one cannot be. */
    List<String> canonical() {
        List<String> lines = new ArrayList<>();
        new TreeSet<>(classes).forEach(c -> lines.add("class " + c));
        Set<String> members = new TreeSet<>();
        for (String name : index.keySet()) {
            Block b = block(name);
            if (b == UNREADABLE) {
                return null;
            }
            String owner = name.replace('/', '.');
            for (String key : b.admitted()) {
                members.add(owner + "." + key);
            }
        }
        members.forEach(m -> lines.add("member " + m));
        new TreeSet<>(bootstraps).forEach(b -> lines.add("bootstrap " + b));
        return lines;
    }

    /** The class's block; null if it holds none, {@link #UNREADABLE} if it cannot be parsed. */
    private Block block(String internalName) {
        Block b = blocks.get(internalName);
        if (b == null) {
            int[] at = index.get(internalName);
            if (at == null) {
                return null;
            }
            try {
                b = parseBlock(text, body + at[0], body + at[0] + at[1]);
            } catch (RuntimeException e) {
                // parse() checked the framing; a block garbled within it is no answer, never a throw
                // into the module check nor a wider answer: the caller asks reflection.
                b = UNREADABLE;
            }
            blocks.put(internalName, b);
        }
        return b;
    }

    private static Block parseBlock(String text, int from, int to) {
        String[] head = null;
        Map<String, Integer> members = new HashMap<>();
        Set<String> admitted = new HashSet<>();
        for (int at = from; at < to; ) {
            int end = text.indexOf('\n', at);
            String line = text.substring(at, end);
            at = end + 1;
            switch (line.charAt(0)) {
                case 'T' -> head = line.split(" ");
                case 'M' -> {
                    int space = line.indexOf(' ', 2);
                    members.put(line.substring(space + 1), Integer.parseInt(line, 2, space, 10));
                }
                case 'A' -> admitted.add(line.substring(2));
                default -> throw new IllegalArgumentException(RESOURCE + ": malformed line " + line);
            }
        }
        if (head == null || head.length < 5) {
            throw new IllegalArgumentException(RESOURCE + ": a block without its class line at " + from);
        }
        List<String> interfaces = new ArrayList<>(head.length - 5);
        for (int i = 5; i < head.length; i++) {
            interfaces.add(head[i]);
        }
        TypeInfo type = new TypeInfo(head[1], Realm.JDK, head[2].equals("i"), head[3].equals("pub"),
                head[4].equals("-") ? null : head[4], List.copyOf(interfaces), Map.copyOf(members));
        return new Block(type, Set.copyOf(admitted));
    }

    /**
     * Reads model text, or returns null if it is not of format {@value #FORMAT} or was not made
     * from the JDK {@code identity} names (null: the running JDK has none). The header is checked
     * whole, and the blocks' framing: they follow one another in index order from {@code body} to
     * the end of the text, each whole lines starting with its own class line. What is inside a
     * block is read when that class is first asked about.
     *
     * @throws IllegalArgumentException if a model of this JDK is malformed
     */
    static AllowlistModel parse(String text, String identity) {
        Set<String> classes = new HashSet<>();
        Set<String> bootstraps = new HashSet<>();
        Map<String, int[]> index = new HashMap<>();
        List<String> order = new ArrayList<>();
        String sha = null;
        int step = 0; // 0: format, 1: jdk, 2: allowlist, 3: the header's lists
        for (int at = 0; at < text.length(); ) {
            int end = text.indexOf('\n', at);
            if (end < 0) {
                break;
            }
            String line = text.substring(at, end);
            at = end + 1;
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            switch (step) {
                case 0 -> {
                    if (!line.equals("format " + FORMAT)) {
                        return null;
                    }
                    step = 1;
                }
                case 1 -> {
                    if (identity == null || !line.startsWith("jdk ") || !line.substring(4).equals(identity)) {
                        return null;
                    }
                    step = 2;
                }
                case 2 -> {
                    if (!line.startsWith("allowlist ")) {
                        throw new IllegalArgumentException(RESOURCE + ": no allowlist line");
                    }
                    sha = line.substring("allowlist ".length());
                    step = 3;
                }
                default -> {
                    if (line.equals("body")) {
                        checkFraming(text, at, order, index);
                        return new AllowlistModel(text, at, sha, Set.copyOf(classes), Set.copyOf(bootstraps), Map.copyOf(index));
                    }
                    if (line.length() < 3 || line.charAt(1) != ' ') {
                        throw new IllegalArgumentException(RESOURCE + ": malformed line " + line);
                    }
                    char kind = line.charAt(0);
                    String rest = line.substring(2);
                    if (kind == 'C') {
                        classes.add(rest);
                    } else if (kind == 'B') {
                        bootstraps.add(rest);
                    } else if (kind == 'I') {
                        int a = rest.indexOf(' ');
                        int b = a < 0 ? -1 : rest.indexOf(' ', a + 1);
                        if (a <= 0 || b < 0) {
                            throw new IllegalArgumentException(RESOURCE + ": malformed line " + line);
                        }
                        String name = rest.substring(0, a);
                        // NumberFormatException is an IllegalArgumentException: a malformed number is a malformed model.
                        int[] span = {Integer.parseInt(rest, a + 1, b, 10), Integer.parseInt(rest, b + 1, rest.length(), 10)};
                        if (index.put(name, span) != null) {
                            throw new IllegalArgumentException(RESOURCE + ": " + name + " indexed twice");
                        }
                        order.add(name);
                    } else {
                        throw new IllegalArgumentException(RESOURCE + ": malformed line " + line);
                    }
                }
            }
        }
        throw new IllegalArgumentException(RESOURCE + ": no body");
    }

    /**
     * Checks that the blocks {@code order} names tile the text after {@code body} exactly, as {@link
     * #write} lays them out, each whole lines starting with {@code "T NAME "}: a truncated model or
     * a wrong offset is then a malformed model, found before any of it is used.
     */
    private static void checkFraming(String text, int body, List<String> order, Map<String, int[]> index) {
        int expected = 0;
        for (String name : order) {
            int[] at = index.get(name);
            if (at[0] != expected || at[1] <= name.length() + 3 || at[1] > text.length() - body - expected) {
                throw new IllegalArgumentException(RESOURCE + ": block of " + name + " at " + at[0] + " length " + at[1]
                        + ", not where the previous block ends (" + expected + ") or beyond the text");
            }
            int from = body + at[0];
            if (!text.startsWith("T ", from) || !text.startsWith(name, from + 2) || text.charAt(from + 2 + name.length()) != ' '
                    || text.charAt(from + at[1] - 1) != '\n') {
                throw new IllegalArgumentException(RESOURCE + ": the block at " + at[0] + " is not that of " + name);
            }
            expected += at[1];
        }
        if (body + expected != text.length()) {
            throw new IllegalArgumentException(RESOURCE + ": " + (text.length() - body - expected)
                    + " characters after the last block");
        }
    }

    /**
     * The model text: {@code identity}, the allow-list text's digest, what it admits ({@code classes},
     * {@code bootstraps}, {@code members} as {@code owner.key}, binary owner names) and the JDK
     * classes {@code types}, sorted so that a build is reproducible.
     */
    static String write(String identity, String allowlistText, Collection<String> classes, Collection<String> bootstraps,
            Collection<String> members, Collection<TypeInfo> types) {
        Map<String, TypeInfo> sorted = new TreeMap<>();
        for (TypeInfo t : types) {
            sorted.put(t.name(), t);
        }
        Map<String, Set<String>> admitted = new HashMap<>();
        for (String m : members) {
            int paren = m.indexOf('(');
            int end = paren >= 0 ? paren : m.indexOf(':');
            int dot = m.lastIndexOf('.', end);
            String owner = m.substring(0, dot).replace('.', '/');
            if (!sorted.containsKey(owner)) {
                throw new IllegalStateException("admitted member " + m + " of a class the model lacks");
            }
            admitted.computeIfAbsent(owner, o -> new TreeSet<>()).add(m.substring(dot + 1));
        }
        StringBuilder bodyText = new StringBuilder();
        StringBuilder indexText = new StringBuilder();
        for (TypeInfo t : sorted.values()) {
            int start = bodyText.length();
            bodyText.append("T ").append(t.name()).append(t.isInterface() ? " i" : " c").append(t.isPublic() ? " pub " : " - ")
                    .append(t.superName() == null ? "-" : t.superName());
            for (String i : t.interfaces()) {
                bodyText.append(' ').append(i);
            }
            bodyText.append('\n');
            for (Map.Entry<String, Integer> m : new TreeMap<>(t.members()).entrySet()) {
                bodyText.append("M ").append(m.getValue()).append(' ').append(m.getKey()).append('\n');
            }
            for (String a : admitted.getOrDefault(t.name(), Set.of())) {
                bodyText.append("A ").append(a).append('\n');
            }
            indexText.append("I ").append(t.name()).append(' ').append(start).append(' ').append(bodyText.length() - start)
                    .append('\n');
        }
        StringBuilder b = new StringBuilder();
        b.append("# The bundled EL2 allow-list computed against the build's JDK, by\n")
                .append("# org.pkvm4j.host.verify.AllowlistModelWriter; used only on that JDK and for that list (ADR 0018).\n")
                .append("format ").append(FORMAT).append('\n')
                .append("jdk ").append(identity).append('\n')
                .append("allowlist ").append(sha256(allowlistText)).append('\n');
        new TreeSet<>(classes).forEach(c -> b.append("C ").append(c).append('\n'));
        new TreeSet<>(bootstraps).forEach(c -> b.append("B ").append(c).append('\n'));
        b.append(indexText).append("body\n").append(bodyText);
        for (int i = 0; i < b.length(); i++) {
            if (b.charAt(i) > 0x7e) {
                throw new IllegalStateException("the model must be ASCII; it is read as ISO-8859-1");
            }
        }
        return b.toString();
    }

    private static String sha256(String text) {
        return ModuleFile.sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@link #parse}, but a malformed model is none (null): what the bundled model's loading does.
     */
    static AllowlistModel parseOrNone(String text, String identity) {
        try {
            return parse(text, identity);
        } catch (RuntimeException e) {
            // A model that cannot be read is no model: reflection gives the same answers, slower.
            return null;
        }
    }

    /** Reads the bundled model on first use; a missing, foreign or unreadable one is none. */
    private static final class Bundled {
        static final AllowlistModel MODEL = load();

        private static AllowlistModel load() {
            try (InputStream in = AllowlistModel.class.getResourceAsStream(RESOURCE)) {
                String identity = in == null ? null : JdkIdentity.running();
                return identity == null ? null : parseOrNone(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1), identity);
            } catch (IOException | RuntimeException e) {
                // A model that cannot be read is no model: reflection gives the same answers, slower.
                return null;
            }
        }
    }
}
