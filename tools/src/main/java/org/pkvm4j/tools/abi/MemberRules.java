package org.pkvm4j.tools.abi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.pkvm4j.host.abi.AbiSymbol;

/**
 * Judges the members of a type present in both ABIs (JLS 13.4.7 to 13.4.21 and 13.5.3 to 13.5.7).
 *
 * <p>What decides a verdict is who is on the other side: modules only call methods of a call-only
 * interface ({@code ModuleOps}, {@code Pkvm}), so a new abstract method there costs them nothing;
 * they implement a vendor-implemented one (the handler interfaces), so a new abstract method there
 * leaves every implementation without it. And javac copies a constant's value into its callers,
 * so a new value never reaches a module built before.
 */
final class MemberRules {
    private MemberRules() {
    }

    static List<AbiChange> compare(String type, TypeShape oldType, TypeShape newType, List<AbiSymbol> oldMembers,
            List<AbiSymbol> newMembers) {
        Map<String, AbiSymbol> was = byName(oldMembers);
        Map<String, AbiSymbol> is = byName(newMembers);
        List<AbiChange> out = new ArrayList<>();
        Set<String> addedNames = new TreeSet<>(is.keySet());
        addedNames.removeAll(was.keySet());
        for (AbiSymbol o : was.values()) {
            AbiSymbol n = is.get(o.name());
            if (n != null) {
                changed(o, n, oldType, newType, out);
                continue;
            }
            // Same simple name, other descriptor: the member changed its type; say so once, not as removed + added.
            List<AbiSymbol> successors = addedNames.stream().map(is::get)
                    .filter(a -> isMethod(a) == isMethod(o) && simpleName(a).equals(simpleName(o))).toList();
            if (successors.isEmpty()) {
                out.add(AbiChange.breaking(kind(o), o.name(), "removed", removedReason(o)));
            } else {
                successors.forEach(a -> addedNames.remove(a.name()));
                out.add(AbiChange.breaking(kind(o), o.name(), "changed to " + String.join(" ",
                        successors.stream().map(MemberRules::descriptor).toList()), "modules using the old descriptor fail with "
                                + (isMethod(o) ? "NoSuchMethodError" : "NoSuchFieldError")));
            }
        }
        for (String name : addedNames) {
            out.add(added(is.get(name), type, newType));
        }
        return out;
    }

    private static void changed(AbiSymbol o, AbiSymbol n, TypeShape oldType, TypeShape newType, List<AbiChange> out) {
        if (o.description().equals(n.description())) {
            return;
        }
        MemberShape was = MemberShape.parse(o.description());
        MemberShape is = MemberShape.parse(n.description());
        String kind = kind(n);
        String name = n.name();
        int before = out.size();
        if (!was.type().equals(is.type())) {
            out.add(isMethod(n)
                    ? AbiChange.breaking(kind, name, "return type changed from " + was.type() + " to " + is.type(),
                            "modules calling it fail with NoSuchMethodError")
                    : AbiChange.breaking(kind, name, "type changed from " + was.type() + " to " + is.type(),
                            "modules using it fail with NoSuchFieldError"));
        }
        if (o.kind() == AbiSymbol.Kind.CONSTANT && n.kind() != AbiSymbol.Kind.CONSTANT) {
            out.add(AbiChange.breaking(kind(o), name, "no longer a compile-time constant",
                    "modules built before keep the inlined value " + was.value()));
        } else if (o.kind() != AbiSymbol.Kind.CONSTANT && n.kind() == AbiSymbol.Kind.CONSTANT) {
            out.add(AbiChange.compatible(kind, name, "now a compile-time constant", "modules built before still read the field"));
        } else if (!Objects.equals(was.value(), is.value())) {
            out.add(AbiChange.breaking(kind, name, "value changed from " + was.value() + " to " + is.value(),
                    "javac copied the old value into every module built before"));
        }
        if (was.has("static") != is.has("static")) {
            out.add(AbiChange.breaking(kind, name, is.has("static") ? "changed from instance to static" : "changed from static to instance",
                    "modules using it fail with IncompatibleClassChangeError"));
        }
        if (was.has("public") && is.has("protected")) {
            out.add(AbiChange.breaking(kind, name, "made protected", "modules using it outside a subclass fail with IllegalAccessError"));
        } else if (was.has("protected") && is.has("public")) {
            out.add(AbiChange.compatible(kind, name, "made public", "every module built before could already use it where it did"));
        }
        if (was.has("final") != is.has("final") && o.kind() != AbiSymbol.Kind.CONSTANT && n.kind() != AbiSymbol.Kind.CONSTANT) {
            out.add(finality(n, is.has("final")));
        }
        if (was.has("abstract") != is.has("abstract")) {
            out.add(abstractness(n, is.has("abstract"), newType));
        }
        Set<String> rest = new TreeSet<>(was.flags());
        rest.addAll(is.flags());
        rest.removeAll(Set.of("static", "public", "protected", "final", "abstract"));
        rest.removeIf(f -> was.has(f) == is.has(f));
        if (!rest.isEmpty() || out.size() == before && was.ownerKind().equals(is.ownerKind())) {
            // The owner's class-to-interface change is the type's line; anything else unexplained is not waved through.
            out.add(AbiChange.breaking(kind, name, "changed from \"" + o.description() + "\" to \"" + n.description() + "\"",
                    "a change this checker does not know, treated as breaking"));
        }
    }

    private static AbiChange finality(AbiSymbol n, boolean nowFinal) {
        String kind = kind(n);
        if (n.kind() == AbiSymbol.Kind.METHOD) {
            return nowFinal ? AbiChange.breaking(kind, n.name(), "made final", "modules overriding it fail with IncompatibleClassChangeError")
                    : AbiChange.compatible(kind, n.name(), "no longer final", "modules may now override it");
        }
        return nowFinal ? AbiChange.breaking(kind, n.name(), "made final", "modules assigning it fail with IllegalAccessError")
                : AbiChange.compatible(kind, n.name(), "no longer final", "modules may now assign it");
    }

    private static AbiChange abstractness(AbiSymbol n, boolean nowAbstract, TypeShape owner) {
        String kind = kind(n);
        if (!nowAbstract) {
            return AbiChange.compatible(kind, n.name(), "no longer abstract", "implementations that override it still do");
        }
        if (owner.isInterface() && !owner.vendorImplemented()) {
            return AbiChange.compatible(kind, n.name(), "made abstract in call-only interface " + n.owner(),
                    "vendor modules only call it; the kernel implements it");
        }
        return AbiChange.breaking(kind, n.name(), "made abstract", "every module " + (owner.isInterface() ? "implementing " : "extending ")
                + n.owner() + " without overriding it fails with AbstractMethodError");
    }

    private static AbiChange added(AbiSymbol n, String type, TypeShape owner) {
        String kind = kind(n);
        MemberShape m = MemberShape.parse(n.description());
        if (n.kind() != AbiSymbol.Kind.METHOD) {
            return AbiChange.compatible(kind, n.name(), "added to " + owner.kind() + " " + type, "nothing built before refers to it");
        }
        if (!owner.isInterface()) {
            return m.has("abstract")
                    ? AbiChange.breaking(kind, n.name(), "abstract method added to " + owner.kind() + " " + type,
                            "every module extending " + type + " fails with AbstractMethodError")
                    : AbiChange.compatible(kind, n.name(), "added to " + owner.kind() + " " + type, "nothing built before refers to it");
        }
        if (m.has("static")) {
            return AbiChange.compatible(kind, n.name(), "static method added to interface " + type, "implementations do not inherit it");
        }
        if (!m.has("abstract")) {
            return AbiChange.compatible(kind, n.name(), "default method added to interface " + type, "implementations inherit it");
        }
        return owner.vendorImplemented()
                ? AbiChange.breaking(kind, n.name(), "abstract method added to vendor-implemented interface " + type,
                        "every module implementing " + type + " fails with AbstractMethodError")
                : AbiChange.compatible(kind, n.name(), "added to call-only interface " + type,
                        "vendor modules only call it; the kernel implements it");
    }

    private static String removedReason(AbiSymbol o) {
        return switch (kind(o)) {
            case "constructor" -> "modules creating it this way fail with NoSuchMethodError";
            case "method" -> "modules calling it fail with NoSuchMethodError";
            case "constant" -> "modules built before keep its inlined value; rebuilt against this API they do not compile";
            default -> "modules using it fail with NoSuchFieldError";
        };
    }

    /** The kind in a report's words: {@code method}, {@code constructor}, {@code field}, {@code enum-constant}, {@code constant}. */
    static String kind(AbiSymbol s) {
        return switch (s.kind()) {
            case METHOD -> simpleName(s).equals("<init>") ? "constructor" : "method";
            case FIELD -> MemberShape.parse(s.description()).has("enum") ? "enum-constant" : "field";
            case CONSTANT -> "constant";
            case TYPE -> TypeShape.parse(s.description()).kind();
        };
    }

    private static boolean isMethod(AbiSymbol s) {
        return s.kind() == AbiSymbol.Kind.METHOD;
    }

    /** {@code puts} of {@code org.pkvm4j.api.el2.ModuleOps.puts(Ljava/lang/String;)}. */
    private static String simpleName(AbiSymbol s) {
        String signature = s.name().substring(s.owner().length() + 1);
        int paren = signature.indexOf('(');
        return paren < 0 ? signature : signature.substring(0, paren);
    }

    /** {@code puts(Ljava/lang/String;)V} or {@code RET_SUCCESS:J}: the member without its owner, with its type. */
    private static String descriptor(AbiSymbol s) {
        String type = MemberShape.parse(s.description()).type();
        return s.name().substring(s.owner().length() + 1) + (isMethod(s) ? "" : ":") + type;
    }

    private static Map<String, AbiSymbol> byName(List<AbiSymbol> members) {
        Map<String, AbiSymbol> map = new LinkedHashMap<>();
        members.stream().sorted(java.util.Comparator.comparing(AbiSymbol::name)).forEach(s -> map.put(s.name(), s));
        return map;
    }
}
