package org.pkvm4j.host;

import java.util.List;
import java.util.Optional;
import org.pkvm4j.host.attest.MeasurementLog;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.machine.HypPanic;

/**
 * What a boot did: each numbered step with its time, the modules loaded, the security state and
 * whether the host is deprivileged.
 *
 * @param cmdline the command line booted with
 * @param steps the steps that ran, in order
 * @param modules the modules loaded at boot, in load order
 * @param security the security state
 * @param deprivileged whether every CPU finalized ({@code __pkvm_prot_finalize})
 * @param panic the hyp panic that stopped the boot, if any
 * @param initramfs the initramfs, one line: directory or image, signature verdict
 * @param measurements measured boot: the initramfs and each module file read, split at the freeze
 *     (entries after it keep arriving as modules load later)
 * @param lateLoads the modules a {@link BootFault.LoadsLate} fault moved to a modprobe after
 *     deprivilege, with how each went
 * @param hypWarnings the {@code WARNING} lines the hypervisor printed during the boot (for example an
 *     early linear mapping a module left when module registration closed), in order
 */
public record BootReport(String cmdline, List<Step> steps, List<LoadedModule> modules, SecurityState security,
        boolean deprivileged, Optional<HypPanic> panic, String initramfs, MeasurementLog measurements,
        List<LateLoad> lateLoads, List<String> hypWarnings) {

    /**
     * A module modprobed after deprivilege because a fault moved it out of the protected list.
     *
     * @param module the module
     * @param errno the errno its modprobe failed with, or empty if it loaded
     * @param message the loader's message, or {@code loaded}
     */
    public record LateLoad(String module, Optional<org.pkvm4j.api.Errno> errno, String message) {
    }

    /**
     * One boot step.
     *
     * @param number its number in ARCHITECTURE.md §6
     * @param name what it does
     * @param nanos how long it took
     */
    public record Step(int number, String name, long nanos) {
    }

    /** Copies the lists. */
    public BootReport {
        steps = List.copyOf(steps);
        modules = List.copyOf(modules);
        lateLoads = List.copyOf(lateLoads);
        hypWarnings = List.copyOf(hypWarnings);
    }

    /** The total time of the boot steps. */
    public long totalNanos() {
        return steps.stream().mapToLong(Step::nanos).sum();
    }
}
