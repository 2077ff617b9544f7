package org.pkvm4j.tools.abi;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A member's description from a dump, taken apart: {@code ownerKind, returns R, flags} for a
 * method, {@code ownerKind, type T, flags[ = value]} for a field or constant.
 *
 * @param ownerKind {@code class} or {@code interface}: what the JVM links the member through
 * @param type the return type of a method or the type of a field, as a descriptor; empty if absent
 * @param flags linkage flags: {@code public}, {@code static}, {@code final}, {@code abstract}, {@code enum}
 * @param value a compile-time constant's value as written, or {@code null}
 */
record MemberShape(String ownerKind, String type, Set<String> flags, String value) {

    static MemberShape parse(String description) {
        String rest = description;
        String owner = head(rest);
        rest = tail(rest);
        String type = "";
        if (rest.startsWith("returns ") || rest.startsWith("type ")) {
            // Descriptors hold neither spaces nor commas.
            type = head(rest).substring(rest.indexOf(' ') + 1);
            rest = tail(rest);
        }
        // Flags are plain words; the first " = " starts the value, which may hold anything.
        int eq = rest.indexOf(" = ");
        String flags = eq < 0 ? rest : rest.substring(0, eq);
        return new MemberShape(owner, type, new LinkedHashSet<>(flags.isBlank() ? List.of() : List.of(flags.split(" "))),
                eq < 0 ? null : rest.substring(eq + 3));
    }

    boolean has(String flag) {
        return flags.contains(flag);
    }

    private static String head(String s) {
        int comma = s.indexOf(", ");
        return comma < 0 ? s : s.substring(0, comma);
    }

    private static String tail(String s) {
        int comma = s.indexOf(", ");
        return comma < 0 ? "" : s.substring(comma + 2);
    }
}
