package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.RegsGate;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.GuestSmcHandler;
import org.pkvm4j.api.el2.GuestTrngOps;
import org.pkvm4j.api.el2.DefaultTrapHandler;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.HostSmcHandler;
import org.pkvm4j.api.el2.PsciEvent;
import org.pkvm4j.api.el2.PsciNotifier;
import org.pkvm4j.api.el2.HypPanicNotifier;
import org.pkvm4j.api.el2.SerrorMask;
import org.pkvm4j.api.el2.SerrorUnmask;
import org.pkvm4j.hypervisor.traps.HypPanicNotifiers;
import org.pkvm4j.api.el2.IllegalAbtNotifier;
import org.pkvm4j.api.el2.IotlbGather;
import org.pkvm4j.api.el2.KvmCpuContextAbtNotifier;
import org.pkvm4j.api.el2.KvmCpuContextPanicNotifier;
import org.pkvm4j.api.el2.KvmCpuContextPermFaultHandler;
import org.pkvm4j.api.el2.KvmCpuContextPsciNotifier;
import org.pkvm4j.api.el2.KvmCpuContextSmcHandler;
import org.pkvm4j.api.el2.KvmCpuContextTrapHandler;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Code;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Uart;

/**
 * The module callbacks the hypervisor registers in place of the module's own: each publishes the
 * callback as running on the trap's CPU (for the lockup detector and the ops) and hands it the
 * module's register view of that CPU, open only while it runs.
 */
final class ContainedCallbacks {
    private ContainedCallbacks() {
    }

    /**
     * One run of a module callback: published on {@code cpu} as the module's {@code code} (the lockup
     * detector and the ops read it), with the module's register view of that CPU open, if the
     * callback takes one, until {@link #close()}. Made and closed in one method, so C2 keeps it in
     * registers: a run allocates nothing once compiled.
     */
    record Run(HypPlatform platform, Cpu cpu, El2Code outer, RegsGate gate) implements AutoCloseable {

        /** Runs code that takes no register view. */
        static Run of(HypPlatform platform, Cpu cpu, El2Code code) {
            return new Run(platform, cpu, platform.enterEl2(cpu, code), null);
        }

        /** Runs code that takes {@code owner}'s view of the host's registers on the trap's CPU. */
        static Run gated(HypPlatform platform, ModuleContainment owner, El2Code code) {
            return gated(platform, owner, code, platform.currentCpu());
        }

        /** Runs code that takes {@code owner}'s view of the host's registers on {@code cpu}. */
        static Run gated(HypPlatform platform, ModuleContainment owner, El2Code code, Cpu cpu) {
            return open(platform, cpu, code, owner.gate(cpu));
        }

        /** Runs code that takes {@code owner}'s view of the guest's registers on the trap's CPU. */
        static Run guestGated(HypPlatform platform, ModuleContainment owner, El2Code code) {
            Cpu cpu = platform.currentCpu();
            return open(platform, cpu, code, owner.guestGate(cpu));
        }

        private static Run open(HypPlatform platform, Cpu cpu, El2Code code, RegsGate gate) {
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            return new Run(platform, cpu, outer, gate);
        }

        /** The open view, as {@code user_pt_regs}. */
        UserPtRegs regs() {
            return gate.regs();
        }

        /** The open view, as {@code kvm_cpu_context}. */
        KvmCpuContext context() {
            return gate.context();
        }

        /** Closes the view and publishes that the code returned. */
        @Override
        public void close() {
            if (gate != null) {
                gate.close();
            }
            platform.exitEl2(cpu, outer);
        }
    }

    /** A module's {@code host_perm_fault_handler}. */
    record PermFaultHandler(HostPermFaultHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HostPermFaultHandler {
        @Override
        public int handle(UserPtRegs regs, long esr, long addr) {
            try (Run run = Run.gated(platform, owner, code)) {
                return handler.handle(run.regs(), esr, addr);
            }
        }
    }

    /** A module's {@code illegal_abt_notifier}. */
    record AbtNotifier(IllegalAbtNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements IllegalAbtNotifier {
        @Override
        public void onIllegalAbort(UserPtRegs regs) {
            try (Run run = Run.gated(platform, owner, code)) {
                notifier.onIllegalAbort(run.regs());
            }
        }
    }

    /** A module's android14-5.15 {@code host_perm_fault_handler}: the same gate, seen as a {@code kvm_cpu_context}. */
    record CtxtPermFaultHandler(KvmCpuContextPermFaultHandler handler, ModuleContainment owner, El2Code code,
            HypPlatform platform) implements HostPermFaultHandler {
        @Override
        public int handle(UserPtRegs regs, long esr, long addr) {
            try (Run run = Run.gated(platform, owner, code)) {
                return handler.handle(run.context(), esr, addr);
            }
        }
    }

    /** A module's android14-5.15 {@code illegal_abt_notifier}. */
    record CtxtAbtNotifier(KvmCpuContextAbtNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements IllegalAbtNotifier {
        @Override
        public void onIllegalAbort(UserPtRegs regs) {
            try (Run run = Run.gated(platform, owner, code)) {
                notifier.onIllegalAbort(run.context());
            }
        }
    }

    /**
     * A module's serial driver. It runs only inside a trap that runs vendor code (a module's {@code
     * puts}); a line the hypervisor prints from anywhere else goes to the UART itself.
     */
    record Serial(SerialDriver driver, El2Code code, HypPlatform platform, Uart uart) implements SerialDriver {
        @Override
        public void putc(char c) {
            Cpu cpu = platform.el2Cpu();
            if (cpu == null) {
                uart.putc(c);
                return;
            }
            try (Run _ = Run.of(platform, cpu, code)) {
                driver.putc(c);
            }
        }
    }

    /**
     * A module's IOTLB invalidation, run from inside its own {@code iommu_iotlb_gather_add_page} call:
     * published as the module's {@code iotlb_sync} code while it runs.
     */
    record IommuIotlbSync(org.pkvm4j.api.el2.IotlbSync sync, El2Code code, HypPlatform platform)
            implements org.pkvm4j.api.el2.IotlbSync {
        @Override
        public void sync(IotlbGather gather) {
            Cpu cpu = platform.el2Cpu();
            try (Run _ = Run.of(platform, cpu, code)) {
                sync.sync(gather);
            }
        }
    }

    /**
     * A module's device reset callback, run from the host's assignment hypercall or a VM's teardown:
     * published as the module's {@code device_reset} code on the trap's CPU while it runs.
     */
    record DeviceReset(org.pkvm4j.api.el2.DeviceResetHandler handler, El2Code code, HypPlatform platform)
            implements org.pkvm4j.api.el2.DeviceResetHandler {
        @Override
        public int reset(long cookie, boolean hostToGuest) {
            try (Run _ = Run.of(platform, platform.currentCpu(), code)) {
                return handler.reset(cookie, hostToGuest);
            }
        }
    }

    /** A module's {@code host_smc_handler}: the host's registers of the trap's CPU. */
    record HostSmc(HostSmcHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HostSmcHandler {
        @Override
        public boolean handle(UserPtRegs regs) {
            try (Run run = Run.gated(platform, owner, code)) {
                return handler.handle(run.regs());
            }
        }
    }

    /** A module's {@code guest_smc_handler}: the guest's registers of the trap's CPU. */
    record GuestSmc(GuestSmcHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements GuestSmcHandler {
        @Override
        public boolean handle(UserPtRegs regs, long vmHandle) {
            try (Run run = Run.guestGated(platform, owner, code)) {
                return handler.handle(run.regs(), vmHandle);
            }
        }
    }

    /** A module's {@code psci_notifier}: the host's registers of the CPU the event concerns. */
    record Psci(PsciNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements PsciNotifier {
        @Override
        public void notify(PsciEvent event, UserPtRegs regs) {
            try (Run run = Run.gated(platform, owner, code)) {
                notifier.notify(event, run.regs());
            }
        }
    }

    /** A module's TRNG {@code rnd64}. */
    record Rnd64(GuestTrngOps.Rnd64 rnd64, El2Code code, HypPlatform platform) implements GuestTrngOps.Rnd64 {
        @Override
        public boolean rnd64(long[] out, int bits) {
            try (Run _ = Run.of(platform, platform.currentCpu(), code)) {
                return rnd64.rnd64(out, bits);
            }
        }
    }

    /** A module's {@code default_trap_handler}. */
    record TrapHandler(DefaultTrapHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements DefaultTrapHandler {
        @Override
        public boolean handle(UserPtRegs regs, long esr) {
            try (Run run = Run.gated(platform, owner, code)) {
                return handler.handle(run.regs(), esr);
            }
        }
    }

    /**
     * A module's {@code hyp_panic_notifier}, run on the panicking CPU's trap. The panic stops module
     * code only after the report is recorded, so the notifier runs as any callback does, watched by
     * the lockup detector.
     */
    record PanicNotifier(HypPanicNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HypPanicNotifiers.Notifier {
        @Override
        public void run(Cpu cpu) {
            try (Run run = Run.gated(platform, owner, code, cpu)) {
                notifier.onHypPanic(run.regs());
            }
        }

        @Override
        public String module() {
            return owner.name();
        }
    }

    /** A module's SError {@code unmask} callback, on the trap's CPU. */
    record Unmask(SerrorUnmask callback, El2Code code, HypPlatform platform) implements SerrorUnmask {
        @Override
        public boolean unmask() {
            try (Run _ = Run.of(platform, platform.currentCpu(), code)) {
                return callback.unmask();
            }
        }
    }

    /** A module's SError {@code mask} callback, on the trap's CPU. */
    record Mask(SerrorMask callback, El2Code code, HypPlatform platform) implements SerrorMask {
        @Override
        public void mask() {
            try (Run _ = Run.of(platform, platform.currentCpu(), code)) {
                callback.mask();
            }
        }
    }

    /** A module's android14-5.15 {@code host_smc_handler}: the same gate, seen as a {@code kvm_cpu_context}. */
    record CtxtHostSmc(KvmCpuContextSmcHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HostSmcHandler {
        @Override
        public boolean handle(UserPtRegs regs) {
            try (Run run = Run.gated(platform, owner, code)) {
                return handler.handle(run.context());
            }
        }
    }

    /** A module's android14-5.15 {@code default_trap_handler}. */
    record CtxtTrapHandler(KvmCpuContextTrapHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements DefaultTrapHandler {
        @Override
        public boolean handle(UserPtRegs regs, long esr) {
            try (Run run = Run.gated(platform, owner, code)) {
                return handler.handle(run.context(), esr);
            }
        }
    }

    /** A module's android14-5.15 {@code psci_notifier}. */
    record CtxtPsci(KvmCpuContextPsciNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements PsciNotifier {
        @Override
        public void notify(PsciEvent event, UserPtRegs regs) {
            try (Run run = Run.gated(platform, owner, code)) {
                notifier.notify(event, run.context());
            }
        }
    }

    /** A module's android14-5.15 {@code hyp_panic_notifier}, run as {@link PanicNotifier} is. */
    record CtxtPanicNotifier(KvmCpuContextPanicNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HypPanicNotifiers.Notifier {
        @Override
        public void run(Cpu cpu) {
            try (Run run = Run.gated(platform, owner, code, cpu)) {
                notifier.onHypPanic(run.context());
            }
        }

        @Override
        public String module() {
            return owner.name();
        }
    }
}
