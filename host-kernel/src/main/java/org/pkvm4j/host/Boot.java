package org.pkvm4j.host;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.dev.MiscDevices;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.Initramfs;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.loader.ModuleLoader;
import org.pkvm4j.host.loader.ProtectedMode;
import org.pkvm4j.host.log.HostLogger;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.host.trace.BootTrace;
import org.pkvm4j.machine.El2Vector;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypKmi;
import org.pkvm4j.machine.HypOptions;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.HypervisorImage;
import org.pkvm4j.machine.Machine;

/**
 * The boot sequence, steps 1 to 5 of docs/architecture.md, "Boot"; each step is logged and timed.
 *
 * <ol>
 *   <li>Parse the command line.</li>
 *   <li>Build the machine; define the hyp layer, hand the hypervisor the privileged platform and
 *       install its vector ({@code VBAR_EL2}).</li>
 *   <li>Mount the initramfs.</li>
 *   <li>{@code finalize_pkvm}: modprobe each listed module in order; the first failure stops the
 *       list and makes the system insecure.</li>
 *   <li>Deprivilege: set the static key, then {@code __pkvm_prot_finalize} on every CPU.</li>
 * </ol>
 *
 * Kernel counterpart: {@code kvm_arm_init}, {@code finalize_pkvm} and {@code
 * pkvm_drop_host_privileges} in {@code arch/arm64/kvm/}.
 */
final class Boot {
    private static final HostLogger LOG = HostLogger.of(Boot.class);

    private final BootConfig config;
    private final BootTrace trace;
    private final List<BootReport.Step> steps = new ArrayList<>();
    private KernelLog log;

    Boot(BootConfig config) {
        this(config, BootTrace.OFF);
    }

    Boot(BootConfig config, BootTrace trace) {
        this.config = config;
        this.trace = trace;
    }

    HostKernel run() {
        // Step 1: the command line; a malformed known parameter stops here, before any hardware.
        long t = System.nanoTime();
        KernelCmdline cmdline = KernelCmdline.parse(config.cmdline());
        config.checkFiles();
        // A key that cannot be read is a configuration error, reported before any hardware exists.
        Optional<PublicKey> trustedKey = config.trustedKey().map(ImageKeys::readPublic);
        long parseStart = t;
        long parseNanos = System.nanoTime() - t;

        // Step 2: the machine, and the hypervisor installed at EL2.
        t = System.nanoTime();
        Machine machine = new Machine(cmdline.machineConfig());
        trace.machineBuilt(machine);
        log = new KernelLog(machine::uptimeNanos);
        machine.uart().attach(log::hypConsole);
        machine.onHypPanic(p -> log.error(LOG, "Kernel panic - not syncing: HYP panic on CPU{}: {}\n{}",
                p.cpu(), p.reason(), p.detail()));
        log.info(LOG, "Booting pkvm4j on {} CPUs, {} MiB", machine.nrCpus(), cmdline.machineConfig().memBytes() >> 20);
        log.info(LOG, "Kernel command line: {}", cmdline.raw());
        record(1, "parse command line", parseStart, parseNanos);
        installHypervisor(machine, cmdline);
        record(2, "machine and hypervisor", System.nanoTime() - t);

        // Step 3: the initramfs.
        t = System.nanoTime();
        // From the boot image's rootfs if there is one: populated once, mounted and measured by every boot.
        Initramfs initramfs = config.loaded().map(image -> Initramfs.mount(image.rootfs()))
                .orElseGet(() -> Initramfs.mount(config.initramfs(), trustedKey));
        if (initramfs.rejection().isPresent()) {
            log.error(LOG, "initramfs: {}; protected modules will not be loaded, the system is insecure",
                    initramfs.describe());
        } else {
            log.info(LOG, "initramfs: {}, sha256 {}", initramfs.describe(), initramfs.measurements().initramfs().sha256());
        }
        ProtectedMode protectedMode = new ProtectedMode(cmdline.isProtectedMode());
        HvcGateway gateway = new HvcGateway(machine);
        MiscDevices devices = new MiscDevices();
        ModuleLoader loader = new ModuleLoader(initramfs, cmdline, protectedMode, gateway, machine.moduleRam(), log, devices);
        loader.trace(trace);
        BootFaults.armEl1(config.faults(), loader, log);
        HostKernel kernel = new HostKernel(cmdline, machine, log, protectedMode, gateway, loader, devices);
        record(3, "mount initramfs", System.nanoTime() - t);

        SecurityState security = new SecurityState.Unprotected(cmdline.mode());
        boolean deprivileged = false;
        List<BootReport.LateLoad> lateLoads = List.of();
        try {
            if (cmdline.isProtectedMode()) {
                // Step 4: finalize_pkvm loads the protected modules, in order, until one fails.
                t = System.nanoTime();
                security = initramfs.rejection().isPresent()
                        ? new SecurityState.InitramfsRejected(initramfs.root().toString(), initramfs.rejection().get())
                        : loadProtectedModules(cmdline, loader, initramfs.measurements().taints());
                record(4, "load protected modules", System.nanoTime() - t);

                // Step 5: deprivilege; the static key first, so that no EL2 load can slip in.
                t = System.nanoTime();
                initramfs.measurements().freeze();
                protectedMode.markInitialized();
                deprivileged = finalizeEveryCpu(machine, gateway);
                record(5, "deprivilege", System.nanoTime() - t);
                lateLoads = BootFaults.loadLate(config.faults(), loader, log);
            } else {
                log.info(LOG, "kvm: kvm-arm.mode={}: pKVM off, protected modules not loaded", cmdline.mode().spelling());
            }
        } catch (HypPanicException e) {
            // Already reported by the panic handler; the boot stops where it was.
            log.error(LOG, "boot: stopped by the HYP panic");
        }
        // Userspace starts here: what loads from now on is measured after the freeze.
        initramfs.measurements().freeze();
        List<LoadedModule> modules = loader.lsmod();
        kernel.completeBoot(new BootReport(cmdline.raw(), steps, modules, security, deprivileged,
                Optional.ofNullable(machine.panic()), initramfs.describe(), initramfs.measurements(), lateLoads,
                hypWarnings(log)));
        log.info(LOG, "kvm: {}", security.describe());
        return kernel;
    }

    private void installHypervisor(Machine machine, KernelCmdline cmdline) {
        // Held only in this frame: once the vector is installed the host keeps no hypervisor object.
        HypervisorImage image = config.loaded().map(loaded -> HypervisorLayer.load(loaded.hypervisor()))
                .orElseGet(() -> HypervisorLayer.load(config.hypervisor()));
        El2Vector vector = image.pkvmInit(machine.takeHypPlatform(), new HypOptions(cmdline.isProtectedMode(), config.faults().hypFaults(),
                        cmdline.hypLockupMillis(), cmdline.hypBudgetMillis(), cmdline.hypAllocBytes(),
                        new HypKmi(cmdline.kmi().branch(), cmdline.kmi().table().javaMethods())));
        machine.installEl2Vector(vector);
        log.info(LOG, "kvm: hyp mode initialized, {} mode", cmdline.mode().spelling());
    }

    private SecurityState loadProtectedModules(KernelCmdline cmdline, ModuleLoader loader, List<String> taints) {
        List<String> names = BootFaults.withoutLate(config.faults(), cmdline.protectedModules().names(), log);
        log.info(LOG, "pkvm: loading {} protected module(s): {}", names.size(), String.join(",", names));
        // Every check on every core first; the loads below stay in order, one at a time (ADR 0018).
        loader.checkAhead(names);
        for (String name : names) {
            try {
                loader.modprobe(name);
            } catch (PkvmException e) {
                log.error(LOG, "pkvm: failed to load module {}: {}; the system is insecure, protected VMs disabled",
                        name, e.errno());
                return new SecurityState.Insecure(name, e.errno(), e.getMessage(), ErrorCode.ofLoad(e));
            }
        }
        // Every module loaded; but one a switch let in unchecked protects nothing.
        return taints.isEmpty() ? new SecurityState.Protected() : new SecurityState.Tainted(taints);
    }

    private boolean finalizeEveryCpu(Machine machine, HvcGateway gateway) {
        int done = 0;
        for (int cpu = 0; cpu < machine.nrCpus(); cpu++) {
            try {
                gateway.hostHcallOn(cpu, HostHcall.PKVM_PROT_FINALIZE, 0, 0, 0);
                done++;
            } catch (PkvmException e) {
                log.error(LOG, "kvm: Failed to finalize Hyp protection on CPU{}: {}", cpu, e.errno());
            }
        }
        log.info(LOG, "kvm: protected mode finalized on {}/{} CPUs; host deprivileged, module loading closed",
                done, machine.nrCpus());
        return done == machine.nrCpus();
    }

    /** The hyp console's warnings, for the boot report: a loop, as the boot path's first run in a JVM links no lambda. */
    private static List<String> hypWarnings(KernelLog log) {
        List<String> warnings = new ArrayList<>();
        for (KernelLog.Record r : log.records()) {
            if (r.origin() == KernelLog.Origin.EL2 && r.text().startsWith("WARNING")) {
                warnings.add(r.text());
            }
        }
        return List.copyOf(warnings);
    }

    private void record(int number, String name, long nanos) {
        record(number, name, System.nanoTime() - nanos, nanos);
    }

    private void record(int number, String name, long startNanos, long nanos) {
        trace.step(number, name, startNanos, nanos);
        steps.add(new BootReport.Step(number, name, nanos));
        log.info(LOG, "boot: step {} {} done in {} us", number, name, nanos / 1_000);
    }
}
