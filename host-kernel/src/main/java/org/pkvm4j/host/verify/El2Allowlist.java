package org.pkvm4j.host.verify;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.pkvm4j.host.verify.AllowlistEntry.Kind;

/**
 * The JDK members EL2 code may reference: a committed, reviewed list of pure computation. Anything
 * not on it, and not the module's own or {@code org.pkvm4j.api}'s, is refused.
 *
 * <p>Kernel counterpart: the hypervisor's build rules ({@code arch/arm64/kvm/hyp/nvhe/Makefile},
 * {@code hyp/Makefile.module}), which link EL2 objects against the hypervisor's module interface and
 * nothing else: no host symbol resolves at EL2. The list is data: the bundled {@value #BUNDLED} (a
 * resource of this package, whose header documents the format), or a file of the same format given
 * to {@code pkvm verify --allowlist}. Every class and member it names must exist in the running JDK.
 *
 * <p>Members are matched exactly (owner, name, descriptor) where they are declared: a whole-class
 * entry {@code C.*} admits what {@code C} declares (and what it exposes of a non-public superclass,
 * such as {@code StringBuilder}'s {@code AbstractStringBuilder} methods), never what it inherits
 * from a public supertype, so {@code ArrayList.*} does not admit {@code Collection.parallelStream()}.
 * The verifier resolves each reference as the JVM does before asking {@link #admitsMember}.
 *
 * <p>{@link #admitsClass} is the set of JDK classes EL2 code may resolve at run time: the owners of
 * admitted members and bootstraps, the classes admitted as types, and every type in an admitted
 * descriptor. The EL2 layer's class loader resolves JDK names through it and nothing else. An
 * {@code El2Allowlist} is immutable.
 */
public final class El2Allowlist {
    /** The bundled allow-list's resource name, next to this class. */
    public static final String BUNDLED = "el2-allowlist.conf";

    private final String source;
    /** The text, parsed into {@link #entries} on demand when {@link #model} answers. */
    private final String text;
    private List<AllowlistEntry> entries;
    private final RuntimeTypes types;
    /** Computed at build time from this very text and JDK: it answers; null when the sets below do. */
    private final AllowlistModel model;
    /** With {@link #model}: the list expanded by reflection, made only if a block of the model cannot be read. */
    private El2Allowlist reflected;
    /** Admitted members: {@code owner.name(descriptor)} or {@code owner.name:descriptor}, binary owner names. */
    private final Set<String> members = new HashSet<>();
    /** Admitted bootstrap methods, as {@link #members}. */
    private final Set<String> bootstraps = new HashSet<>();
    /** JDK classes EL2 code may resolve, binary names. */
    private final Set<String> classes = new HashSet<>();

    private El2Allowlist(String source, List<AllowlistEntry> entries, RuntimeTypes types) {
        this.source = source;
        this.text = null;
        this.entries = List.copyOf(entries);
        this.types = types;
        this.model = null;
        for (AllowlistEntry e : this.entries) {
            admit(e);
        }
        // A non-public class in a descriptor cannot be named by EL2 code: the JVM's access check refuses it.
        classes.removeIf(c -> {
            TypeInfo t = types.jdk(c.replace('.', '/'));
            return t == null || !t.isPublic();
        });
    }

    /**
     * The list {@code model} was computed from at build time ({@code text}, checked by the caller),
     * on the JDK it was computed on: no entry is expanded, no class reflected over.
     */
    private El2Allowlist(String source, String text, AllowlistModel model) {
        this.source = source;
        this.text = text;
        this.types = new RuntimeTypes(model);
        this.model = model;
    }

    /** The bundled allow-list, read once. */
    public static El2Allowlist bundled() {
        return Bundled.ALLOWLIST;
    }

    /**
     * Reads an allow-list file.
     *
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException naming the file and line of the first malformed entry
     */
    public static El2Allowlist read(Path file) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Parses allow-list text and checks every entry against the running JDK. The bundled list's
     * text on the JDK the build ran on was checked and expanded at build time ({@link
     * AllowlistModel}): it is read from there, each class when first asked about.
     *
     * @param source what to call it in error messages
     * @throws IllegalArgumentException {@code "SOURCE line N: ..."} for the first malformed entry, or
     *     one naming a class or member the JDK lacks
     */
    public static El2Allowlist parse(String source, String text) {
        return parse(source, text, AllowlistModel.bundled());
    }

    /** As {@link #parse(String, String)}, with {@code model} (null: none) for the bundled one. */
    static El2Allowlist parse(String source, String text, AllowlistModel model) {
        if (model != null && model.isFor(text)) {
            // Made from this very text on this very JDK, whose reflection checked every entry then.
            return new El2Allowlist(source, text, model);
        }
        return parse(source, text, new RuntimeTypes(model));
    }

    /** As {@link #parse(String, String)}, against {@code types}. */
    static El2Allowlist parse(String source, String text, RuntimeTypes types) {
        return new El2Allowlist(source, AllowlistParser.parse(source, text), types);
    }

    /** The bundled list's text. */
    static String bundledText() {
        try (InputStream in = El2Allowlist.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("the host-kernel jar lacks its " + BUNDLED);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled " + BUNDLED, e);
        }
    }

    /**
     * Whether EL2 code may reference JDK member {@code owner.name descriptor}, matched exactly: the
     * class that declares it (or the public class exposing a non-public superclass's member), its
     * name and its JVM descriptor.
     *
     * @param owner a binary class name ({@code java.lang.Math})
     * @param name a member name ({@code <init>} for a constructor)
     * @param descriptor a method descriptor ({@code (I)I}) or a field descriptor ({@code I})
     */
    public boolean admitsMember(String owner, String name, String descriptor) {
        if (model != null) {
            Boolean admitted = model.admitsMember(owner, name, descriptor);
            return admitted != null ? admitted : reflected().admitsMember(owner, name, descriptor);
        }
        return members.contains(key(owner, name, descriptor));
    }

    /** Whether {@code owner.name descriptor} (as {@link #admitsMember}) may link an invokedynamic or a dynamic constant. */
    public boolean admitsBootstrap(String owner, String name, String descriptor) {
        return model != null ? model.admitsBootstrap(key(owner, name, descriptor)) : bootstraps.contains(key(owner, name, descriptor));
    }

    /**
     * Whether EL2 code may resolve JDK class {@code binaryName} at run time; an array class when its
     * element class may be (or is primitive). The EL2 layer's loader asks this for every JDK name.
     */
    public boolean admitsClass(String binaryName) {
        String element = ModuleClasses.elementClass(binaryName.replace('.', '/'));
        if (element == null) {
            return true;
        }
        String binary = element.replace('/', '.');
        return model != null ? model.admitsClass(binary) : classes.contains(binary);
    }

    /** The entries, in file order. */
    public synchronized List<AllowlistEntry> entries() {
        if (entries == null) {
            entries = List.copyOf(AllowlistParser.parse(source, text));
        }
        return entries;
    }

    /**
     * This list expanded by reflection, as without a model: what answers for a class whose block of
     * the model cannot be read (never so for the model the build wrote, but a damaged one must
     * neither throw into a module check nor admit more).
     */
    private synchronized El2Allowlist reflected() {
        if (reflected == null) {
            reflected = parse(source, text, new RuntimeTypes(null));
        }
        return reflected;
    }

    /** Where the list came from. */
    public String source() {
        return source;
    }

    /**
     * Everything it admits, one item a line, sorted: {@code class C}, then {@code member C.m(D)R}
     * and {@code member C.f:D}, then {@code bootstrap C.m(D)R}. Whole-class entries are expanded
     * against the running JDK, so a JDK update that adds a member to an admitted class shows too.
     */
    public List<String> canonical() {
        if (model != null) {
            List<String> lines = model.canonical();
            return lines != null ? lines : reflected().canonical();
        }
        List<String> lines = new ArrayList<>();
        new TreeSet<>(classes).forEach(c -> lines.add("class " + c));
        new TreeSet<>(members).forEach(m -> lines.add("member " + m));
        new TreeSet<>(bootstraps).forEach(b -> lines.add("bootstrap " + b));
        return lines;
    }

    /** The JDK and API classes it was checked against, for the verifier's member resolution. */
    RuntimeTypes types() {
        return types;
    }

    @Override
    public String toString() {
        return "El2Allowlist[" + source + ", " + entries().size() + " entries]";
    }

    private static String key(String owner, String name, String descriptor) {
        Objects.requireNonNull(owner);
        return owner + "." + name + (descriptor.startsWith("(") ? descriptor : ":" + descriptor);
    }

    private void admit(AllowlistEntry e) {
        TypeInfo t = types.jdk(e.owner().replace('.', '/'));
        if (t == null) {
            throw AllowlistParser.error(source, e.line(), "no class " + e.owner() + " in the running JDK");
        }
        if (!t.isPublic()) {
            throw AllowlistParser.error(source, e.line(), e.owner() + " is not public: EL2 code cannot name it");
        }
        classes.add(e.owner());
        Map<String, Integer> visible = visibleMembers(t);
        switch (e.kind()) {
            case CLASS -> { }
            case WHOLE_CLASS -> {
                Set<String> names = new HashSet<>();
                visible.keySet().forEach(k -> names.add(memberName(k)));
                for (String x : e.except()) {
                    if (!names.contains(x)) {
                        throw AllowlistParser.error(source, e.line(), e.owner() + " has no member " + x + " to leave out");
                    }
                }
                // Bridges too: StringBuilder's public bridges to AbstractStringBuilder are what javac's calls resolve to.
                visible.forEach((k, flags) -> {
                    if (!e.except().contains(memberName(k))) {
                        addMember(members, e.owner(), k);
                    }
                });
            }
            case METHOD, FIELD -> {
                if (!visible.containsKey(e.member())) {
                    throw AllowlistParser.error(source, e.line(), e.owner() + " has no public or protected member " + e.member());
                }
                addMember(members, e.owner(), e.member());
            }
            case BOOTSTRAP -> {
                Integer flags = visible.get(e.member());
                if (flags == null || (flags & TypeInfo.STATIC) == 0 || !t.declares(e.member())) {
                    throw AllowlistParser.error(source, e.line(), e.owner() + " declares no public static method " + e.member());
                }
                addMember(bootstraps, e.owner(), e.member());
            }
        }
    }

    private void addMember(Set<String> into, String owner, String memberKey) {
        into.add(owner + "." + memberKey);
        int at = memberKey.indexOf('(');
        descriptorClasses(at >= 0 ? memberKey.substring(at) : memberKey.substring(memberKey.indexOf(':') + 1), classes);
    }

    /**
     * The public and protected members {@code t} declares, and those of its non-public superclasses
     * up to the first public one, which only {@code t} exposes ({@code AbstractStringBuilder}'s).
     */
    private Map<String, Integer> visibleMembers(TypeInfo t) {
        Map<String, Integer> visible = new LinkedHashMap<>();
        for (TypeInfo c = t; c != null; c = c.superName() == null ? null : types.jdk(c.superName())) {
            if (c != t && c.isPublic()) {
                break;
            }
            for (Map.Entry<String, Integer> m : c.members().entrySet()) {
                if ((m.getValue() & TypeInfo.VISIBLE) != 0 && !m.getKey().startsWith("<clinit>")
                        && !(c != t && m.getKey().startsWith("<init>"))) {
                    visible.putIfAbsent(m.getKey(), m.getValue());
                }
            }
        }
        return visible;
    }

    private static String memberName(String key) {
        int end = key.indexOf('(');
        return key.substring(0, end >= 0 ? end : key.indexOf(':'));
    }

    /** Adds the binary names of the classes in a JVM descriptor to {@code into}. */
    static void descriptorClasses(String descriptor, Set<String> into) {
        for (int i = descriptor.indexOf('L'); i >= 0; i = descriptor.indexOf('L', i)) {
            int end = descriptor.indexOf(';', i);
            if (end < 0) {
                return;
            }
            into.add(descriptor.substring(i + 1, end).replace('/', '.'));
            i = end + 1;
        }
    }

    /** Parses the bundled list on first use; a broken bundled list is a build error. */
    private static final class Bundled {
        static final El2Allowlist ALLOWLIST = load();

        private static El2Allowlist load() {
            return parse("bundled " + BUNDLED, bundledText());
        }
    }
}
