package org.pkvm4j.tools.abi;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Judges a type present in both ABIs (JLS 13.4.1 to 13.4.4 and 13.5.1 to 13.5.2). Its members
 * are {@link MemberRules}' job, including the abstract methods a vendor-implemented interface
 * lists in its description.
 */
final class TypeRules {
    private TypeRules() {
    }

    /**
     * @param oldSupertypes every supertype of the type in the old ABI, transitively
     * @param newSupertypes the same in the new ABI, so a supertype that only moved up the hierarchy
     *     does not count as removed, nor one that moved down as added
     */
    static List<AbiChange> compare(String name, TypeShape o, TypeShape n, Set<String> oldSupertypes,
            Set<String> newSupertypes) {
        List<AbiChange> out = new ArrayList<>();
        String kind = n.kind();
        if (!o.kind().equals(n.kind())) {
            // Everything else about it changed too; one line says it.
            String reason = o.isInterface() != n.isInterface()
                    ? "modules using it fail with IncompatibleClassChangeError"
                    : "its supertypes and members changed with it: modules built before no longer link";
            out.add(AbiChange.breaking(o.kind(), name, "changed from " + o.kind() + " to " + n.kind(), reason));
            return out;
        }
        flags(name, o, n, out);
        supertypes(name, o, n, oldSupertypes, newSupertypes, out);
        if (!Objects.equals(o.permits(), n.permits())) {
            out.add(permits(name, o, n));
        }
        if (!Objects.equals(o.components(), n.components())) {
            out.add(AbiChange.breaking(kind, name, "record components changed from " + o.components() + " to "
                    + n.components(), "the canonical constructor, accessors and record patterns in modules built before no longer link"));
        }
        if (!Objects.equals(o.role(), n.role())) {
            out.add(n.vendorImplemented()
                    ? AbiChange.compatible(kind, name, "now vendor-implemented", "modules may implement it from now on")
                    : AbiChange.breaking(kind, name, "no longer vendor-implemented",
                            "modules implementing it are outside the API and its next abstract method breaks them"));
        }
        if (!o.other().equals(n.other())) {
            out.add(AbiChange.breaking(kind, name, "changed from " + o.other() + " to " + n.other(),
                    "a change this checker does not know, treated as breaking"));
        }
        return out;
    }

    private static void flags(String name, TypeShape o, TypeShape n, List<AbiChange> out) {
        String kind = n.kind();
        boolean subclassable = kind.equals("class");
        for (String flag : List.of("final", "abstract")) {
            boolean was = o.flags().contains(flag);
            boolean is = n.flags().contains(flag);
            if (was == is) {
                continue;
            }
            if (!subclassable) {
                // An enum is final or abstract by its constants' bodies, a record always final: no module extends them.
                out.add(AbiChange.compatible(kind, name, (is ? "made " : "no longer ") + flag,
                        "no module can extend or instantiate an " + kind));
            } else if (flag.equals("final")) {
                out.add(is ? AbiChange.breaking(kind, name, "made final", "modules extending it fail with IncompatibleClassChangeError")
                        : AbiChange.compatible(kind, name, "no longer final", "modules may now extend it"));
            } else {
                out.add(is ? AbiChange.breaking(kind, name, "made abstract", "modules creating instances fail with InstantiationError")
                        : AbiChange.compatible(kind, name, "no longer abstract", "modules may now create instances"));
            }
        }
        Set<String> rest = new TreeSet<>(o.flags());
        rest.addAll(n.flags());
        rest.removeAll(List.of("final", "abstract"));
        for (String flag : rest) {
            if (o.flags().contains(flag) != n.flags().contains(flag)) {
                out.add(AbiChange.breaking(kind, name, (n.flags().contains(flag) ? "made " : "no longer ") + flag,
                        "a change this checker does not know, treated as breaking"));
            }
        }
    }

    private static void supertypes(String name, TypeShape o, TypeShape n, Set<String> oldSupertypes,
            Set<String> newSupertypes, List<AbiChange> out) {
        String kind = n.kind();
        List<String> was = o.directSupertypes();
        List<String> is = n.directSupertypes();
        for (String s : was) {
            if (is.contains(s)) {
                continue;
            }
            if (newSupertypes.contains(s)) {
                out.add(AbiChange.compatible(kind, name, "supertype " + s + " now inherited", "it is still a " + s));
            } else {
                out.add(AbiChange.breaking(kind, name, "supertype " + s + " removed",
                        "modules using it as a " + s + " fail with IncompatibleClassChangeError or NoSuchMethodError"));
            }
        }
        for (String s : is) {
            if (!was.contains(s) && !oldSupertypes.contains(s)) {
                out.add(AbiChange.compatible(kind, name, "supertype " + s + " added", "it is still everything it was"));
            }
        }
    }

    private static AbiChange permits(String name, TypeShape o, TypeShape n) {
        String kind = n.kind();
        if (o.permits() == null) {
            return AbiChange.breaking(kind, name, "made sealed (permits " + String.join(" ", n.permits()) + ")",
                    "modules extending it fail with IncompatibleClassChangeError");
        }
        if (n.permits() == null) {
            return AbiChange.breaking(kind, name, "no longer sealed",
                    "exhaustive switches over it in modules built before fail with MatchException on new subtypes");
        }
        List<String> gone = o.permits().stream().filter(p -> !n.permits().contains(p)).toList();
        String what = "permits changed from " + String.join(" ", o.permits()) + " to " + String.join(" ", n.permits());
        return gone.isEmpty()
                ? AbiChange.breaking(kind, name, what, "exhaustive switches over it in modules built before fail with MatchException")
                : AbiChange.breaking(kind, name, what, "modules using " + String.join(" ", gone) + " as a " + name
                        + " fail with IncompatibleClassChangeError");
    }
}
