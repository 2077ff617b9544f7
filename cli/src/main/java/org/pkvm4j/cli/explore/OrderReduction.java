package org.pkvm4j.cli.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;

/**
 * Which orders of one fault cannot give different boots, argued from how the boot runs (ADR 0019):
 * the orders of a fault fall into classes, one boot per class stands for all of it.
 *
 * <ul>
 *   <li>{@link Reason#LATE}: {@code LoadsLate(m)} takes m out of {@code kvm-arm.protected_modules=}
 *       before the list is read ({@code BootFaults.withoutLate}) and modprobes it after
 *       deprivilege, so the boot is a function of the order without m. Orders that differ only in
 *       where m stands are the same boot: n! orders, (n-1)! boots.</li>
 *   <li>{@link Reason#PREFIX}: a fault that makes m's load fail (EL1 init, EL2 init, a handler
 *       registration) is met while {@code finalize_pkvm} modprobes the first list entry whose
 *       dependency closure holds m; the first modprobe that fails stops the list ({@code
 *       Boot.loadProtectedModules}). If the boot stopped there, the entries after it were never
 *       read: orders with the same prefix up to that entry are the same boot. Whether it stopped is
 *       not assumed (a module may ignore a failed registration) but checked on the boot that
 *       stands for the class ({@link #stoppedInPrefix}): insecure, blamed on an entry of the prefix.
 *       Otherwise every order of the class boots.</li>
 *   <li>{@link Reason#NONE}: the fault-free boot, and every boot with {@code --exhaustive}: every
 *       order boots. Modules can interact at EL2 (one-of-a-kind registrations, donated pages, the
 *       order of handler ids), so nothing in the boot makes the fault-free outcome a function of
 *       the set of modules; reducing it would be a guess.</li>
 * </ul>
 */
public final class OrderReduction {
    private OrderReduction() {
    }

    /** Why the orders of a class give the same boot. */
    public enum Reason {
        /** No reduction: a class of one order. */
        NONE("none"),
        /** The late module's place in the order does not matter. */
        LATE("late"),
        /** What follows the entry that loads the failing module does not matter. */
        PREFIX("prefix");

        private final String spelling;

        Reason(String spelling) {
            this.spelling = spelling;
        }

        /** The JSON spelling. */
        public String spelling() {
            return spelling;
        }

        /** The reason spelled {@code s}. */
        public static Reason parse(String s) {
            for (Reason r : values()) {
                if (r.spelling.equals(s)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown reduction '" + s + "'");
        }
    }

    /**
     * The class of a boot: two boots of the same fault with equal keys are the same boot.
     *
     * @param reason why
     * @param orderKey the part of the order the boot depends on
     */
    record Key(Reason reason, List<String> orderKey) {
        Key {
            orderKey = List.copyOf(orderKey);
        }
    }

    /**
     * The key of {@code fault} under {@code order}; {@code closure} maps a module to the modules
     * its modprobe loads (itself and its dependencies, transitively) where known.
     */
    static Key key(FaultPlan fault, List<String> order, Map<String, Set<String>> closure, boolean exhaustive) {
        if (exhaustive || fault.faults().size() != 1) {
            return new Key(Reason.NONE, order);
        }
        BootFault f = fault.faults().getFirst();
        String m = f.module();
        if (f instanceof BootFault.LoadsLate) {
            List<String> rest = new ArrayList<>(order);
            rest.remove(m);
            return new Key(Reason.LATE, rest);
        }
        // El1InitFails, El2InitFails, HcallRegistrationFails: m's load fails during the first entry that loads m.
        for (int j = 0; j < order.size(); j++) {
            if (order.get(j).equals(m) || closure.getOrDefault(order.get(j), Set.of()).contains(m)) {
                return new Key(Reason.PREFIX, order.subList(0, j + 1));
            }
        }
        return new Key(Reason.NONE, order);
    }

    /**
     * Whether the boot standing for a {@link Reason#PREFIX} class stopped within the prefix: it
     * came to an outcome, insecure, blamed on an entry of the prefix (the entry whose modprobe
     * failed, {@code SecurityState.Insecure}). A hyp panic also stops the list, but its outcome does
     * not say where, so it does not count.
     */
    static boolean stoppedInPrefix(Key key, Explorer.Run representative) {
        return representative.outcome()
                .filter(o -> o.security().equals("insecure"))
                .flatMap(BootOutcome::failedModule)
                .filter(key.orderKey()::contains)
                .isPresent();
    }
}
