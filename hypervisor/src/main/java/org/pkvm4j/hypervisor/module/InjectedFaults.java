package org.pkvm4j.hypervisor.module;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pkvm4j.api.Errno;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.machine.HypFault;

/**
 * The faults this hypervisor was booted to inject into its module hypercalls ({@link HypFault}),
 * and the per-module counters they need.
 *
 * <p>Kernel counterpart: none in a production build; the fault-injection hooks a debug build of
 * the nVHE hypervisor carries. Armed once at {@code __pkvm_init} and consulted only by {@link
 * El2Modules}, under its lock. Every fault that fires says so on the hyp console.
 */
public final class InjectedFaults {
    private final List<HypFault> faults;
    private final HypConsole console;
    private final Map<String, Integer> registrations = new HashMap<>();

    /** Arms {@code faults}; each that fires is reported on {@code console}. */
    public InjectedFaults(List<HypFault> faults, HypConsole console) {
        this.faults = List.copyOf(faults);
        this.console = console;
        for (HypFault f : this.faults) {
            console.puts("pKVM: fault injection armed: " + describe(f));
        }
    }

    /** The errno {@code module}'s EL2 init is made to fail with, or null to run it. */
    Errno initModule(String module) {
        for (HypFault f : faults) {
            if (f instanceof HypFault.InitModuleFails i && i.module().equals(module)) {
                console.puts("pKVM: fault injection: " + module + ": __pkvm_init_module returns " + i.errno()
                        + " without running the EL2 init");
                return i.errno();
            }
        }
        return null;
    }

    /** Counts one {@code __pkvm_register_hcall} of {@code module}: the errno it fails with, or null. */
    Errno registerHcall(String module) {
        Integer before = registrations.get(module);
        int n = before == null ? 1 : before + 1;
        registrations.put(module, n);
        for (HypFault f : faults) {
            if (f instanceof HypFault.RegisterHcallFails r && r.module().equals(module) && r.nth() == n) {
                console.puts("pKVM: fault injection: " + module + ": __pkvm_register_hcall #" + n + " returns "
                        + r.errno());
                return r.errno();
            }
        }
        return null;
    }

    // Not a pattern switch (nor a method reference above): this class is defined anew on every boot
    // (its own hyp layer), and every invokedynamic in it is linked again in each.
    private static String describe(HypFault f) {
        if (f instanceof HypFault.InitModuleFails i) {
            return "EL2 init of " + i.module() + " fails with " + i.errno();
        }
        if (f instanceof HypFault.RegisterHcallFails r) {
            return "__pkvm_register_hcall #" + r.nth() + " of " + r.module() + " fails with " + r.errno();
        }
        throw new IllegalArgumentException("fault kind " + f.getClass().getName());
    }
}
