package org.pkvm4j.host.verify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link AllowlistModel}'s resource at build time (host-kernel's {@code process-classes}
 * phase): parses the bundled allow-list against the build's JDK by reflection alone, exactly as a
 * JVM without a model does (every entry checked against the JDK), and records what it admits and
 * every JDK class that parse found, with all their supertypes, which the verifier's member
 * resolution walks.
 *
 * <pre>  java org.pkvm4j.host.verify.AllowlistModelWriter OUTPUT_FILE</pre>
 * {@code --identity} prints the running JDK's identity instead ({@code none} if it has none).
 */
public final class AllowlistModelWriter {
    private AllowlistModelWriter() {
    }

    /**
     * Writes the model to the file given as the only argument.
     *
     * @param args {@code OUTPUT_FILE}, or {@code --identity}
     * @throws IOException if it cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: AllowlistModelWriter OUTPUT_FILE | --identity");
        }
        String identity = JdkIdentity.running();
        if (args[0].equals("--identity")) {
            System.out.println(identity == null ? "none" : identity);
            return;
        }
        if (identity == null) {
            throw new IllegalStateException("the build's JDK has no identity (patched or upgraded modules): no "
                    + AllowlistModel.RESOURCE);
        }
        Path out = Path.of(args[0]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, text(identity), StandardCharsets.US_ASCII);
    }

    /** The model of the bundled allow-list on the running JDK under {@code identity}, as the resource holds it. */
    static String text(String identity) {
        String allowlistText = El2Allowlist.bundledText();
        RuntimeTypes types = new RuntimeTypes(null);
        El2Allowlist reflected = El2Allowlist.parse("bundled " + El2Allowlist.BUNDLED, allowlistText, types);
        List<String> classes = new ArrayList<>();
        List<String> members = new ArrayList<>();
        List<String> bootstraps = new ArrayList<>();
        for (String line : reflected.canonical()) {
            int space = line.indexOf(' ');
            String item = line.substring(space + 1);
            switch (line.substring(0, space)) {
                case "class" -> classes.add(item);
                case "member" -> members.add(item);
                case "bootstrap" -> bootstraps.add(item);
                default -> throw new IllegalStateException("unexpected canonical line " + line);
            }
        }
        return AllowlistModel.write(identity, allowlistText, classes, bootstraps, members, closure(types).values());
    }

    /** Every JDK class {@code types} found, and their supertypes, by internal name. */
    private static Map<String, TypeInfo> closure(RuntimeTypes types) {
        Map<String, TypeInfo> found = new LinkedHashMap<>();
        Deque<String> work = new ArrayDeque<>(types.jdkFound());
        while (!work.isEmpty()) {
            String name = work.pop();
            TypeInfo t = found.containsKey(name) ? null : types.jdk(name);
            if (t == null) {
                continue;
            }
            found.put(name, t);
            if (t.superName() != null) {
                work.add(t.superName());
            }
            work.addAll(t.interfaces());
        }
        return found;
    }
}
