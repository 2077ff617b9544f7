package org.pkvm4j.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.loader.ModuleLoader;
import org.pkvm4j.host.log.HostLogger;
import org.pkvm4j.host.log.KernelLog;

/**
 * The host's part of a {@link FaultPlan}: arming the EL1 faults in the loader, moving late modules
 * out of the protected list and modprobing them after deprivilege. The EL2 faults are the
 * hypervisor's ({@link FaultPlan#hypFaults()}, handed over at {@code __pkvm_init}).
 */
final class BootFaults {
    private static final HostLogger LOG = HostLogger.of(BootFaults.class);

    private BootFaults() {
    }

    /** Arms the plan's EL1 init faults in {@code loader}; logs the whole plan once. */
    static void armEl1(FaultPlan plan, ModuleLoader loader, KernelLog log) {
        for (BootFault f : plan.faults()) {
            log.warn(LOG, "fault injection armed: {}", f);
            if (f instanceof BootFault.El1InitFails e) {
                loader.injectEl1InitFault(e.module(), e.errno());
            }
        }
    }

    /** {@code names} without the modules the plan loads late; each move is logged. */
    static List<String> withoutLate(FaultPlan plan, List<String> names, KernelLog log) {
        List<String> late = plan.lateModules();
        if (late.isEmpty()) {
            return names;
        }
        List<String> kept = new ArrayList<>();
        for (String name : names) {
            if (late.contains(name)) {
                log.warn(LOG, "fault injection: {} moved from kvm-arm.protected_modules= to a modprobe after deprivilege",
                        name);
            } else {
                kept.add(name);
            }
        }
        return kept;
    }

    /** Modprobes the plan's late modules, after deprivilege, recording how each went. */
    static List<BootReport.LateLoad> loadLate(FaultPlan plan, ModuleLoader loader, KernelLog log) {
        List<BootReport.LateLoad> loads = new ArrayList<>();
        for (String module : plan.lateModules()) {
            try {
                loader.modprobe(module);
                log.info(LOG, "fault injection: late modprobe {}: loaded", module);
                loads.add(new BootReport.LateLoad(module, Optional.empty(), "loaded"));
            } catch (PkvmException e) {
                log.warn(LOG, "fault injection: late modprobe {}: {}", module, e.errno());
                loads.add(new BootReport.LateLoad(module, Optional.of(e.errno()), e.getMessage()));
            }
        }
        return loads;
    }
}
