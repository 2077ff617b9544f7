package org.pkvm4j.tools.abi;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.AbiSymbol;

/**
 * The differences between two ABIs of the module API, each judged for modules built against the
 * older one: the Java counterpart of libabigail's {@code abidiff} (and of Android's STG diff of the
 * KMI), with the binary-compatibility rules of JLS chapter 13 instead of C's layout rules.
 *
 * <p>A removed type is one line; its members are not listed again. Members are compared per type
 * ({@link MemberRules}), types by their descriptions ({@link TypeRules}). The report is sorted:
 * breaking changes first, then by symbol name, so two runs over the same inputs print the same.
 */
// "exports": the host exports org.pkvm4j.host.abi and .verify to the CLI and these tools only; the
// tools' other caller, the Maven plugin, runs on the class path, where module exports do not apply.
@SuppressWarnings("exports")
public final class AbiDiff {
    /** Exit status bit: the ABIs differ (abidiff's {@code ABIDIFF_ABI_CHANGE}). */
    public static final int ABI_CHANGE = 4;
    /** Exit status bit: a change breaks modules built before (abidiff's {@code ABIDIFF_ABI_INCOMPATIBLE_CHANGE}). */
    public static final int ABI_INCOMPATIBLE_CHANGE = 8;

    private final List<AbiChange> changes;

    private AbiDiff(List<AbiChange> changes) {
        this.changes = List.copyOf(changes);
    }

    /** A result of changes already in report order (breaking first): for {@link KmiDiff}. */
    static AbiDiff of(List<AbiChange> ordered) {
        return new AbiDiff(ordered);
    }

    /** Compares {@code older}, what modules were built against, with {@code newer}, what they now meet. */
    public static AbiDiff compare(AbiModel older, AbiModel newer) {
        List<AbiChange> out = new ArrayList<>();
        if (!older.module().equals(newer.module())) {
            out.add(AbiChange.breaking("module", older.module(), "renamed to " + newer.module(),
                    "modules requiring " + older.module() + " no longer resolve"));
        }
        Map<String, TypeShape> oldTypes = types(older);
        Map<String, TypeShape> newTypes = types(newer);
        Map<String, List<AbiSymbol>> oldMembers = members(older);
        Map<String, List<AbiSymbol>> newMembers = members(newer);
        Set<String> names = new TreeSet<>(oldTypes.keySet());
        names.addAll(newTypes.keySet());
        for (String name : names) {
            TypeShape o = oldTypes.get(name);
            TypeShape n = newTypes.get(name);
            if (n == null) {
                out.add(AbiChange.breaking(o.kind(), name, "removed", "modules using it fail with NoClassDefFoundError"));
            } else if (o == null) {
                out.add(AbiChange.compatible(n.kind(), name, "added", "nothing built before refers to it"));
            } else {
                out.addAll(TypeRules.compare(name, o, n, supertypes(name, oldTypes), supertypes(name, newTypes)));
                if (o.kind().equals(n.kind())) {
                    // A type that changed kind is one line: its members changed with it.
                    out.addAll(MemberRules.compare(name, o, n, oldMembers.getOrDefault(name, List.of()),
                            newMembers.getOrDefault(name, List.of())));
                }
            }
        }
        out.sort(AbiChange.ORDER);
        return new AbiDiff(out);
    }

    /** Every change, breaking ones first. */
    public List<AbiChange> changes() {
        return changes;
    }

    /** The changes that break modules built against the old ABI. */
    public List<AbiChange> breaking() {
        return changes.stream().filter(AbiChange::isBreaking).toList();
    }

    /** The changes modules built against the old ABI survive. */
    public List<AbiChange> compatible() {
        return changes.stream().filter(c -> !c.isBreaking()).toList();
    }

    /** Whether the two ABIs are the same (versions aside). */
    public boolean isEmpty() {
        return changes.isEmpty();
    }

    /** Whether any change breaks modules built against the old ABI. */
    public boolean isBreaking() {
        return changes.stream().anyMatch(AbiChange::isBreaking);
    }

    /**
     * abidiff's exit status for this result: 0 identical, {@link #ABI_CHANGE} (4) compatible changes
     * only, {@code ABI_CHANGE | ABI_INCOMPATIBLE_CHANGE} (12) at least one breaking change.
     */
    public int status() {
        return isEmpty() ? 0 : isBreaking() ? ABI_CHANGE | ABI_INCOMPATIBLE_CHANGE : ABI_CHANGE;
    }

    /** One line per change, then a summary line. */
    public String report() {
        StringBuilder out = new StringBuilder();
        changes.forEach(c -> out.append(c.line()).append('\n'));
        return out.append(summary()).append('\n').toString();
    }

    /** {@code no ABI change}, or {@code N changes: B breaking, C compatible}. */
    public String summary() {
        if (isEmpty()) {
            return "no ABI change";
        }
        int breaking = breaking().size();
        return changes.size() + (changes.size() == 1 ? " change: " : " changes: ") + breaking + " breaking, "
                + (changes.size() - breaking) + " compatible";
    }

    @Override
    public String toString() {
        return report();
    }

    private static Map<String, TypeShape> types(AbiModel model) {
        Map<String, TypeShape> types = new TreeMap<>();
        model.symbols().stream().filter(s -> s.kind() == AbiSymbol.Kind.TYPE)
                .forEach(s -> types.put(s.name(), TypeShape.parse(s.description())));
        return types;
    }

    private static Map<String, List<AbiSymbol>> members(AbiModel model) {
        return model.symbols().stream().filter(s -> s.kind() != AbiSymbol.Kind.TYPE)
                .collect(Collectors.groupingBy(AbiSymbol::owner, TreeMap::new, Collectors.toList()));
    }

    /**
     * Every supertype of {@code type} the model can see: through API types transitively, ending at
     * the first type outside the API (a {@code java.base} type counts itself only). A supertype that
     * moved up the hierarchy is still here, which JLS 13.4.4 allows.
     */
    private static Set<String> supertypes(String type, Map<String, TypeShape> types) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(types.get(type).directSupertypes());
        while (!todo.isEmpty()) {
            String t = todo.pop();
            TypeShape shape = types.get(t);
            if (seen.add(t) && shape != null) {
                todo.addAll(shape.directSupertypes());
            }
        }
        return seen;
    }
}
