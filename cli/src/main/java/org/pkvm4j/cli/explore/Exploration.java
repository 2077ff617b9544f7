package org.pkvm4j.cli.explore;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;

/**
 * The result of an exploration: every boot that ran, and which fault points give order-dependent
 * outcomes (the same fault, a different outcome under a different order).
 *
 * @param modules the module set
 * @param kinds the fault kinds explored
 * @param orders how many orders there are ({@code n!})
 * @param faultPoints how many fault points, the fault-free boot included
 * @param planned {@code orders * faultPoints}
 * @param runs the boots that ran, fault by fault
 * @param nanos the wall time of the whole exploration
 * @param cpuNanos the CPU time of the thread that booted and probed (every boot runs on it, EL2
 *     included: traps are synchronous), or 0 if the JVM cannot measure it; JIT and GC threads
 *     are not counted, so on a loaded machine it says what the boots cost, not what they waited
 */
public record Exploration(List<String> modules, Set<BootFault.Kind> kinds, int orders, int faultPoints,
        int planned, List<Explorer.Run> runs, long nanos, long cpuNanos) {

    /** Copies the lists. */
    public Exploration {
        modules = List.copyOf(modules);
        kinds = kinds.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(kinds));
        runs = List.copyOf(runs);
    }

    /** The runs grouped by fault, in the order they ran. */
    public Map<FaultPlan, List<Explorer.Run>> byFault() {
        Map<FaultPlan, List<Explorer.Run>> groups = new LinkedHashMap<>();
        for (Explorer.Run r : runs) {
            groups.computeIfAbsent(r.fault(), f -> new ArrayList<>()).add(r);
        }
        return groups;
    }

    /** The faults whose boots, across orders, did not all come to the same outcome. */
    public Set<FaultPlan> orderDependent() {
        Set<FaultPlan> dependent = new java.util.LinkedHashSet<>();
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

    /** The boots that threw rather than came to an outcome. */
    public List<Explorer.Run> errors() {
        return runs.stream().filter(r -> r.error().isPresent()).toList();
    }

    /** Whether the bound stopped the exploration before every boot ran. */
    public boolean isBounded() {
        return runs.size() < planned;
    }

    /** Boots per second of the exploring thread's CPU time (0 if unmeasured). */
    public double bootsPerCpuSecond() {
        return cpuNanos <= 0 ? 0 : runs.size() / (cpuNanos / 1e9);
    }

    /** Boots per second of wall time. */
    public double bootsPerSecond() {
        return nanos == 0 ? 0 : runs.size() / (nanos / 1e9);
    }
}
