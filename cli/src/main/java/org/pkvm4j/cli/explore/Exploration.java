package org.pkvm4j.cli.explore;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;

/**
 * The result of an exploration, or of a shard of one: the rows of the boot space it holds, and
 * which fault points give order-dependent outcomes (the same fault, a different outcome under a
 * different order). Everything but the timings is a function of the inputs: the same for any
 * number of threads, and for the merge of a run's shards ({@link #merge}).
 *
 * @param modules the module set
 * @param kinds the fault kinds explored
 * @param orders how many orders there are ({@code n!})
 * @param faults the fault points, the fault-free boot first
 * @param planned {@code orders * faults}
 * @param explored the rows of the space explored, {@code planned} unless {@code --max-boots} bound it
 * @param exhaustive whether every row booted ({@code --exhaustive}), or one per class of orders
 * @param shard which part of the space this holds
 * @param runs the rows of this shard, by index
 * @param jobs how many threads booted
 * @param nanos the wall time of the whole exploration
 * @param cpuNanos the CPU time of the threads while they booted and probed (EL2 included: traps are
 *     synchronous), or 0 if the JVM cannot measure it; JIT and GC threads are not counted, so on a
 *     loaded machine it says what the boots cost, not what they waited
 */
public record Exploration(List<String> modules, Set<BootFault.Kind> kinds, int orders, List<FaultPlan> faults,
        int planned, int explored, boolean exhaustive, Shard shard, List<Explorer.Run> runs, int jobs, long nanos,
        long cpuNanos) {

    /** Copies the lists. */
    public Exploration {
        modules = List.copyOf(modules);
        kinds = kinds.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(kinds));
        faults = List.copyOf(faults);
        runs = List.copyOf(runs);
    }

    /** How many fault points, the fault-free boot included. */
    public int faultPoints() {
        return faults.size();
    }

    /** The runs grouped by fault, in row order. */
    public Map<FaultPlan, List<Explorer.Run>> byFault() {
        Map<FaultPlan, List<Explorer.Run>> groups = new LinkedHashMap<>();
        for (Explorer.Run r : runs) {
            groups.computeIfAbsent(r.fault(), f -> new ArrayList<>()).add(r);
        }
        return groups;
    }

    /** The faults whose rows, across orders, did not all come to the same outcome. */
    public Set<FaultPlan> orderDependent() {
        Set<FaultPlan> dependent = new LinkedHashSet<>();
        byFault().forEach((fault, group) -> {
            Set<Object> keys = new HashSet<>();
            for (Explorer.Run r : group) {
                keys.add(r.outcome().map(BootOutcome::orderFreeKey).orElse(List.of("error")));
            }
            if (keys.size() > 1) {
                dependent.add(fault);
            }
        });
        return dependent;
    }

    /** The rows that threw rather than came to an outcome. */
    public List<Explorer.Run> errors() {
        return runs.stream().filter(r -> r.error().isPresent()).toList();
    }

    /** How many rows booted (the others share the boot of their class). */
    public int booted() {
        return (int) runs.stream().filter(Explorer.Run::booted).count();
    }

    /** For each reduction, how many rows it did not boot. */
    public Map<OrderReduction.Reason, Integer> skipped() {
        Map<OrderReduction.Reason, Integer> skipped = new EnumMap<>(OrderReduction.Reason.class);
        for (Explorer.Run r : runs) {
            if (!r.booted()) {
                skipped.merge(r.reduction(), 1, Integer::sum);
            }
        }
        return skipped;
    }

    /** Whether the bound stopped the exploration before every row. */
    public boolean isBounded() {
        return explored < planned;
    }

    /** Boots per second of the booting threads' CPU time (0 if unmeasured). */
    public double bootsPerCpuSecond() {
        return cpuNanos <= 0 ? 0 : booted() / (cpuNanos / 1e9);
    }

    /** Boots per second of wall time. */
    public double bootsPerSecond() {
        return nanos == 0 ? 0 : booted() / (nanos / 1e9);
    }

    /**
     * The one-run result from its shards' results: every shard of one run (same inputs, same
     * fault points), each once; the rows in index order. Timings are not merged (zero).
     *
     * @throws IllegalArgumentException if the shards do not make one run exactly
     */
    public static Exploration merge(List<Exploration> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge");
        }
        Exploration a = shards.getFirst();
        int total = a.shard().total();
        Set<Integer> indexes = new HashSet<>();
        Map<Integer, Explorer.Run> rows = new java.util.TreeMap<>();
        for (Exploration s : shards) {
            if (!s.modules().equals(a.modules()) || !s.kinds().equals(a.kinds()) || s.orders() != a.orders()
                    || !s.faults().equals(a.faults()) || s.explored() != a.explored() || s.exhaustive() != a.exhaustive()) {
                throw new IllegalArgumentException("shard " + s.shard() + " is of another exploration than shard " + a.shard()
                        + " (modules, fault kinds, fault points, bound or --exhaustive differ)");
            }
            if (s.shard().total() != total) {
                throw new IllegalArgumentException("shard " + s.shard() + " is one of " + s.shard().total() + ", shard "
                        + a.shard() + " one of " + total);
            }
            if (!indexes.add(s.shard().index())) {
                throw new IllegalArgumentException("shard " + s.shard() + " is given twice");
            }
            for (Explorer.Run r : s.runs()) {
                if (rows.put(r.index(), r) != null) {
                    throw new IllegalArgumentException("row " + r.index() + " is in two shards");
                }
            }
        }
        for (int i = 0; i < total; i++) {
            if (!indexes.contains(i)) {
                throw new IllegalArgumentException("shard " + i + "/" + total + " is missing");
            }
        }
        if (rows.size() != a.explored()) {
            throw new IllegalArgumentException("the shards hold " + rows.size() + " rows of " + a.explored());
        }
        return new Exploration(a.modules(), a.kinds(), a.orders(), a.faults(), a.planned(), a.explored(), a.exhaustive(),
                Shard.ALL, List.copyOf(rows.values()), 0, 0, 0);
    }
}
