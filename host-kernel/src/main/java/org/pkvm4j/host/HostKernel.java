package org.pkvm4j.host;

import java.util.List;
import java.util.Optional;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.dev.MiscDevices;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.host.hvc.SmcGateway;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.loader.ModuleLoader;
import org.pkvm4j.host.loader.ProtectedMode;
import org.pkvm4j.host.loader.Unloaded;
import org.pkvm4j.host.log.HostLogger;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.Machine;

/**
 * A booted device, seen from its host kernel: what userspace and tests can do with it.
 *
 * <p>Holds the machine (whose CPUs can only trap now), the trap gateway, the module loader and the
 * kernel log. It holds nothing that changes EL2: the hypervisor's objects were handed over at boot
 * and dropped.
 */
public final class HostKernel {
    private static final HostLogger LOG = HostLogger.of(HostKernel.class);

    private final KernelCmdline cmdline;
    private final Machine machine;
    private final KernelLog log;
    private final ProtectedMode protectedMode;
    private final HvcGateway gateway;
    private final SmcGateway smc;
    private final ModuleLoader loader;
    private final MiscDevices miscDevices;
    private BootReport report;
    private Kvm kvm;

    HostKernel(KernelCmdline cmdline, Machine machine, KernelLog log, ProtectedMode protectedMode,
            HvcGateway gateway, ModuleLoader loader, MiscDevices miscDevices) {
        this.cmdline = cmdline;
        this.machine = machine;
        this.log = log;
        this.protectedMode = protectedMode;
        this.gateway = gateway;
        this.smc = new SmcGateway(machine);
        this.loader = loader;
        this.miscDevices = miscDevices;
        // The EL2 heap's refills come out of the same host pages as guest memory (pkvm_handle_hyp_req).
        gateway.refillHypAllocFrom(new HvcGateway.HostPages() {
            @Override
            public long alloc() {
                return kvm().allocHostPage();
            }

            @Override
            public void free(long pfn) {
                kvm().freeHostPage(pfn);
            }
        });
    }

    /**
     * Boots a device: steps 1 to 5 of the boot sequence (command line, machine and hypervisor,
     * initramfs, protected modules, deprivilege). Step 6, userspace, is the caller's.
     *
     * <p>A listed module that fails does not fail the boot: the system comes up insecure, as the
     * kernel does. A hyp panic does not either: the report records it and every later trap throws.
     *
     * @throws org.pkvm4j.host.diag.BootConfigException for a configuration the kernel cannot
     *     start with (malformed parameter, missing initramfs or hypervisor image)
     */
    public static HostKernel boot(BootConfig config) {
        return new Boot(config).run();
    }

    /**
     * Boots a device as {@link #boot(BootConfig)} does, telling {@code trace} each step, each module
     * load and, through the machine's trace unit, each EL2 handler run.
     */
    public static HostKernel boot(BootConfig config, org.pkvm4j.host.trace.BootTrace trace) {
        return new Boot(config, trace).run();
    }

    void completeBoot(BootReport bootReport) {
        this.report = bootReport;
    }

    /** The boot report. */
    public BootReport bootReport() {
        return report;
    }

    /** The command line booted with. */
    public KernelCmdline cmdline() {
        return cmdline;
    }

    /** The machine. */
    public Machine machine() {
        return machine;
    }

    /** The kernel log ({@code dmesg}). */
    public KernelLog log() {
        return log;
    }

    /** The SMC gateway: raw SMCs (PSCI, FF-A, vendor calls), as a test or a driver issues them. */
    public SmcGateway smcGateway() {
        return smc;
    }

    /**
     * {@code kernel_power_off}: PSCI SYSTEM_OFF. Under pKVM the hypervisor's relay poisons the pVM
     * firmware first; afterwards no CPU runs.
     *
     * @return the PSCI status (only a refused call returns on real hardware)
     */
    public long powerOff() {
        log.info(LOG, "reboot: Power down");
        return smc.smc(org.pkvm4j.api.Psci.SYSTEM_OFF, 0, 0, 0).a0();
    }

    /** The trap gateway: raw HVCs, as a test or a driver issues them. */
    public HvcGateway gateway() {
        return gateway;
    }

    /** The security state decided at boot. */
    public SecurityState securityState() {
        return report.security();
    }

    /**
     * {@code /dev/kvm}: the KVM-style API for guests under pKVM (created on first use).
     */
    public synchronized Kvm kvm() {
        if (kvm == null) {
            kvm = new Kvm(gateway, machine.dram(), protectedMode.isEnabled(), this::securityState, log);
        }
        return kvm;
    }

    /** Whether the host has dropped its privileges. */
    public boolean isDeprivileged() {
        return protectedMode.isInitialized();
    }

    /** The hyp panic that stopped the machine, if any. */
    public Optional<HypPanic> panic() {
        return Optional.ofNullable(machine.panic());
    }

    /**
     * {@code modprobe NAME}: loads a module from the initramfs. After deprivilege an EL1-only module
     * still loads; a pKVM module's EL2 load is refused with {@code EOPNOTSUPP}.
     *
     * @throws PkvmException as {@link ModuleLoader#modprobe(String)}
     */
    public LoadedModule modprobe(String name) {
        return loader.modprobe(name);
    }

    /**
     * {@code rmmod NAME}: unloads an ordinary EL1 module; pKVM modules can never be unloaded.
     *
     * @throws PkvmException as {@link ModuleLoader#rmmod(String)}: {@code ENOENT}, or {@code
     *     EAGAIN} for a module in use (a pKVM module, or one that others depend on)
     */
    public Unloaded rmmod(String name) {
        return loader.rmmod(name);
    }

    /** The loaded modules that depend on module {@code name} ({@code lsmod}'s "Used by"). */
    public List<String> holders(String name) {
        return loader.holders(name);
    }

    /**
     * The module file {@code name} in the initramfs, read and checked as {@code modinfo NAME} reads
     * it.
     *
     * @throws PkvmException {@code ENOENT} if the initramfs has no such module; {@code ENOEXEC} if
     *     the file is not a module file
     */
    public ModuleFile moduleFile(String name) {
        return loader.moduleFile(name);
    }

    /** {@code lsmod}: the loaded modules, in load order. */
    public List<LoadedModule> lsmod() {
        return loader.lsmod();
    }

    /**
     * The {@link Pkvm} bound to a loaded module: calls through it are that module's calls (its HVC
     * numbers, its token). Kernel-internal code holds this; userspace goes through {@link #ioctl}.
     */
    public Optional<Pkvm> pkvm(String module) {
        return loader.pkvm(module);
    }

    /**
     * The JPMS modules of the vendor layers still reachable (loaded modules, and any failed load
     * that something still keeps); see {@link ModuleLoader#liveVendorLayers()}.
     */
    public List<String> liveVendorLayers() {
        return loader.liveVendorLayers();
    }

    /** The misc devices ({@code /dev}). */
    public MiscDevices devices() {
        return miscDevices;
    }

    /** {@code ioctl} on {@code /dev/<device>}. */
    public long ioctl(String device, int cmd, long arg) {
        return miscDevices.ioctl(device, cmd, arg);
    }

    /**
     * Hibernation: refused under pKVM, whose EL2 state cannot be saved by the host.
     *
     * @throws PkvmException {@code EBUSY} under pKVM; {@code EOPNOTSUPP} otherwise (pkvm4j does not
     *     model hibernation)
     */
    public void hibernate() {
        refuseUnderPkvm("hibernation");
    }

    /**
     * {@code kexec_load}: refused under pKVM, which cannot hand its EL2 over to another kernel.
     *
     * @throws PkvmException {@code EBUSY} under pKVM; {@code EOPNOTSUPP} otherwise
     */
    public void kexecLoad() {
        refuseUnderPkvm("kexec");
    }

    private void refuseUnderPkvm(String what) {
        if (protectedMode.isEnabled()) {
            log.warn(LOG, "{} refused: the hypervisor is protected (kvm-arm.mode=protected)", what);
            throw new PkvmException(Errno.EBUSY, what + " is not possible under pKVM");
        }
        throw new PkvmException(Errno.EOPNOTSUPP, what + " is not modelled by pkvm4j");
    }
}
