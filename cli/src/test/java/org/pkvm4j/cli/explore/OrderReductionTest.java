package org.pkvm4j.cli.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;

class OrderReductionTest {
    private static final List<String> ABC = List.of("a", "b", "c");
    private static final FaultPlan LATE_B = FaultPlan.of(new BootFault.LoadsLate("b"));
    private static final FaultPlan EL1_B = FaultPlan.of(new BootFault.El1InitFails("b", Errno.ENODEV));

    private static Set<OrderReduction.Key> classes(FaultPlan fault, Map<String, Set<String>> closure) {
        Set<OrderReduction.Key> keys = new HashSet<>();
        for (List<String> order : Permutations.of(ABC)) {
            keys.add(OrderReduction.key(fault, order, closure, false));
        }
        return keys;
    }

    @Test
    void aLateModulesPlaceDoesNotMatter() {
        assertEquals(new OrderReduction.Key(OrderReduction.Reason.LATE, List.of("a", "c")),
                OrderReduction.key(LATE_B, List.of("a", "c", "b"), Map.of(), false));
        assertEquals(2, classes(LATE_B, Map.of()).size(), "3! orders, 2! boots");
    }

    @Test
    void aFailingLoadIsDecidedByThePrefixUpToIt() {
        assertEquals(new OrderReduction.Key(OrderReduction.Reason.PREFIX, List.of("a", "b")),
                OrderReduction.key(EL1_B, List.of("a", "b", "c"), Map.of(), false));
        // b first: [b]; b second: [a,b], [c,b]; b last: [a,c,b], [c,a,b].
        assertEquals(5, classes(EL1_B, Map.of()).size());
    }

    @Test
    void aDependencyBringsTheFailingModuleInEarlier() {
        Map<String, Set<String>> closure = Map.of("a", Set.of("a", "b"), "b", Set.of("b"), "c", Set.of("c"));
        assertEquals(new OrderReduction.Key(OrderReduction.Reason.PREFIX, List.of("a")),
                OrderReduction.key(EL1_B, List.of("a", "c", "b"), closure, false), "a's modprobe loads b first");
        // [a], [b], [c,a], [c,b].
        assertEquals(4, classes(EL1_B, closure).size());
    }

    @Test
    void noFaultAndExhaustiveKeepEveryOrder() {
        assertEquals(6, classes(FaultPlan.none(), Map.of()).size());
        assertEquals(OrderReduction.Reason.NONE, OrderReduction.key(EL1_B, ABC, Map.of(), true).reason());
        assertEquals(ABC, OrderReduction.key(LATE_B, ABC, Map.of(), true).orderKey());
    }

    @Test
    void thePrefixStandsOnlyIfTheBootStoppedInIt() {
        OrderReduction.Key key = new OrderReduction.Key(OrderReduction.Reason.PREFIX, List.of("a", "b"));
        assertTrue(OrderReduction.stoppedInPrefix(key, run(outcome("insecure", "b"))));
        assertTrue(OrderReduction.stoppedInPrefix(key, run(outcome("insecure", "a"))));
        assertFalse(OrderReduction.stoppedInPrefix(key, run(outcome("insecure", "c"))), "a later entry failed: b's failure was ignored");
        assertFalse(OrderReduction.stoppedInPrefix(key, run(outcome("protected", null))), "nothing failed");
        assertFalse(OrderReduction.stoppedInPrefix(key, run(outcome("panic", null))), "a panic does not say where it stopped");
        assertFalse(OrderReduction.stoppedInPrefix(key, new Explorer.Run(0, EL1_B, ABC, Optional.empty(), Optional.of("boom"),
                OrderReduction.Reason.PREFIX, OptionalInt.empty())));
    }

    private static BootOutcome outcome(String security, String failed) {
        return new BootOutcome(security, Optional.ofNullable(failed), Optional.ofNullable(failed).map(f -> Errno.ENODEV),
                Map.of(), 0, false, Optional.empty(), Map.of());
    }

    private static Explorer.Run run(BootOutcome o) {
        return new Explorer.Run(0, EL1_B, ABC, Optional.of(o), Optional.empty(), OrderReduction.Reason.PREFIX,
                OptionalInt.empty());
    }
}
