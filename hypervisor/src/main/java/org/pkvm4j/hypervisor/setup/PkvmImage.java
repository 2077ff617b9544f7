package org.pkvm4j.hypervisor.setup;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcallTable;
import org.pkvm4j.hypervisor.HostHcalls;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.HypWatchdog;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.hypervisor.module.El2Modules;
import org.pkvm4j.hypervisor.module.InjectedFaults;
import org.pkvm4j.hypervisor.module.ModuleOpsTable;
import org.pkvm4j.hypervisor.smc.FfaProxy;
import org.pkvm4j.hypervisor.smc.GuestSmc;
import org.pkvm4j.hypervisor.smc.HostSmc;
import org.pkvm4j.hypervisor.smc.PsciRelay;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Vector;
import org.pkvm4j.machine.HandlerTrace;
import org.pkvm4j.machine.HypOptions;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.HypervisorImage;

/**
 * The hypervisor image: builds the EL2 runtime and returns its vector.
 *
 * <p>Kernel counterpart: {@code __pkvm_init} ({@code nvhe/setup.c}). Every piece of EL2 state is
 * created here and reachable only from the returned vector; nothing is static.
 */
public final class PkvmImage implements HypervisorImage {

    /** The service constructor ServiceLoader calls. */
    public PkvmImage() {
    }

    @Override
    public El2Vector pkvmInit(HypPlatform platform, HypOptions options) {
        HypConsole console = new HypConsole(platform.uart());
        HandlerTrace trace = platform.handlerTrace();
        DynamicHcalls dynamicHcalls = new DynamicHcalls(platform, trace);
        MemProtect memProtect = new MemProtect(platform.memory());
        HostPermFaultHandlers permFaultHandlers = new HostPermFaultHandlers();
        HypVaSpace va = new HypVaSpace(memProtect, platform.nrCpus());
        IllegalAbtNotifiers abtNotifiers = new IllegalAbtNotifiers();
        // A debug build's fault injection, armed now while the host is still privileged (empty: none).
        InjectedFaults faults = options.faults().isEmpty() ? null : new InjectedFaults(options.faults(), console);
        KvmIommu iommu = new KvmIommu(memProtect, platform.memory(), new ConsoleLines(console));
        PkvmDevices devices = new PkvmDevices();
        SmcRegistry smc = new SmcRegistry();
        HypTraps traps = HypTraps.create(platform, console, va);
        El2Modules modules = new El2Modules(platform, va,
                new ModuleOpsTable(console, platform, memProtect, permFaultHandlers, va, abtNotifiers, iommu, devices, smc,
                        traps, options.kmi()),
                dynamicHcalls, faults, options.allocBytes());
        Deprivilege deprivilege = new Deprivilege(platform.nrCpus(), new CloseModuleRegistration(memProtect, console));
        GuestVcpus guests = new GuestVcpus(new GuestMemProtect(memProtect, new VmTable()), platform.nrCpus());
        HostHcallTable table = HostHcalls.table(modules, deprivilege, memProtect, guests, platform.nrCpus(), iommu, devices,
                new GuestSmc(platform, guests, smc), traps.heap(), traps.tracing());
        // Per-CPU EL2 registers (traps.params(): loaded on every CPU at create, again each time one
        // enters from the firmware, with the trap controls modules set).
        HostSmc hostSmc = new HostSmc(platform, new PsciRelay(platform, traps.params(), smc), new FfaProxy(platform, memProtect),
                smc);
        // A panic, for any reason, stops all EL2 module code: every poll inserted into it throws.
        platform.onPanic(new StopModules(modules));
        // hyp_panic calls the modules' panic notifier before the report.
        platform.beforePanic(new PanicNotifiers(traps));
        if (options.lockupMillis() > 0) {
            new HypWatchdog(platform, console, trace, options.lockupMillis(), options.budgetMillis(), options.allocBytes()).arm();
        }
        console.puts("pKVM: hypervisor initialised on %d CPUs%s%s".formatted(platform.nrCpus(),
                options.protectedMode() ? ", protected mode" : "", options.kmi().every() ? "" : ", KMI " + options.kmi().branch()));
        return new HypMain(platform, dynamicHcalls, table, deprivilege, memProtect, permFaultHandlers, abtNotifiers, hostSmc,
                traps);
    }

    // The callbacks below are records, not lambdas: every boot defines this class anew (its own
    // hyp layer), and each lambda would link its invokedynamic call site, spinning a class, again
    // on every boot.

    /** The IOMMU layer's warnings, on the hyp console. */
    private record ConsoleLines(HypConsole console) implements Consumer<String> {
        @Override
        public void accept(String line) {
            console.puts(line);
        }
    }

    /** {@code __pkvm_close_module_registration}, at the first finalize. */
    private record CloseModuleRegistration(MemProtect memProtect, HypConsole console) implements Runnable {
        @Override
        public void run() {
            long left = memProtect.closeModuleRegistration();
            if (left != 0) {
                // WARN_ON_ONCE(atomic_read(&early_lm_pages)) in __pkvm_close_module_registration
                console.puts("WARNING: linear_map_early: %d bytes still mapped when module registration closed".formatted(left));
            }
        }
    }

    /** A panic, for any reason, stops all EL2 module code. */
    private record StopModules(El2Modules modules) implements Consumer<HypPanic> {
        @Override
        public void accept(HypPanic panic) {
            modules.stopAll();
        }
    }

    /** The modules' panic notifiers, which {@code hyp_panic} calls before its report. */
    private record PanicNotifiers(HypTraps traps) implements BiConsumer<Cpu, HypPanic> {
        @Override
        public void accept(Cpu cpu, HypPanic panic) {
            traps.panicNotifiers().beforePanic(cpu);
        }
    }
}
