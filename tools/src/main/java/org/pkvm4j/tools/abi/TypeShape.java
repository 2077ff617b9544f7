package org.pkvm4j.tools.abi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.pkvm4j.host.abi.AbiModel;

/**
 * A type's description from a dump, taken apart again so {@link AbiDiff} can judge each part.
 *
 * <p>The description is the one {@link AbiModel} writes: {@code kind, flags[, extends S][,
 * implements I J][, permits P Q][, components (a:I, b:J)][, vendor-implemented, abstract [m()V] |
 * , call-only]}. Parsing the text rather than keeping class files means a checked-in dump is as
 * good as a jar, the way STG compares two saved representations.
 *
 * @param kind {@code class}, {@code interface}, {@code enum}, {@code record} or {@code annotation}
 * @param flags linkage flags: {@code public}, {@code final}, {@code abstract}, ...
 * @param superclass the direct superclass, or empty for {@code java.lang.Object} itself
 * @param interfaces the direct superinterfaces
 * @param permits the permitted subclasses, or {@code null} if the type is not sealed
 * @param components the record components as written, or {@code null} if not a record
 * @param role {@code vendor-implemented}, {@code call-only}, or {@code null} for a class
 * @param abstractMethods a vendor-implemented interface's abstract methods
 * @param other any part this version does not know, kept so a difference in it is never lost
 */
record TypeShape(String kind, Set<String> flags, String superclass, List<String> interfaces, List<String> permits,
        String components, String role, Set<String> abstractMethods, List<String> other) {

    static TypeShape parse(String description) {
        List<String> parts = split(description);
        String superclass = "";
        List<String> interfaces = List.of();
        List<String> permits = null;
        String components = null;
        String role = null;
        Set<String> abstracts = new TreeSet<>();
        List<String> other = new ArrayList<>();
        for (String part : parts.subList(Math.min(2, parts.size()), parts.size())) {
            if (part.startsWith("extends ")) {
                superclass = part.substring("extends ".length());
            } else if (part.startsWith("implements ")) {
                interfaces = words(part.substring("implements ".length()));
            } else if (part.startsWith("permits ")) {
                permits = words(part.substring("permits ".length()));
            } else if (part.startsWith("components (")) {
                components = part.substring("components ".length());
            } else if (part.equals("vendor-implemented") || part.equals("call-only")) {
                role = part;
            } else if (part.startsWith("abstract [") && part.endsWith("]")) {
                String list = part.substring("abstract [".length(), part.length() - 1);
                abstracts.addAll(list.isEmpty() ? List.of() : Arrays.asList(list.split(", ")));
            } else {
                other.add(part);
            }
        }
        return new TypeShape(parts.getFirst(), parts.size() > 1 ? new LinkedHashSet<>(words(parts.get(1))) : Set.of(),
                superclass, interfaces, permits, components, role, abstracts, other);
    }

    /** Whether linking treats it as an interface ({@code invokeinterface}, {@code implements}). */
    boolean isInterface() {
        return kind.equals("interface") || kind.equals("annotation");
    }

    /** Whether vendor modules may implement it: new abstract methods break them. */
    boolean vendorImplemented() {
        return "vendor-implemented".equals(role);
    }

    /** The direct supertypes: the superclass (if any) and the superinterfaces. */
    List<String> directSupertypes() {
        List<String> all = new ArrayList<>(interfaces);
        if (!superclass.isEmpty()) {
            all.addFirst(superclass);
        }
        return all;
    }

    // Splits at ", " except inside "components (...)" and the final "abstract [...]", which hold ", " themselves.
    private static List<String> split(String d) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < d.length()) {
            int end;
            if (d.startsWith("components (", i)) {
                end = d.indexOf(')', i) + 1;
            } else if (d.startsWith("abstract [", i)) {
                end = d.length();
            } else {
                end = d.indexOf(", ", i);
            }
            end = end <= 0 ? d.length() : end;
            parts.add(d.substring(i, end));
            i = end + 2;
        }
        return parts.isEmpty() ? List.of("") : parts;
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split(" "));
    }
}
