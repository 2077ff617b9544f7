package org.pkvm4j.hypervisor.module;

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

    /** A module's {@code host_perm_fault_handler}. */
    record PermFaultHandler(HostPermFaultHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HostPermFaultHandler {
        @Override
        public int handle(UserPtRegs regs, long esr, long addr) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                return handler.handle(gate.regs(), esr, addr);
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's {@code illegal_abt_notifier}. */
    record AbtNotifier(IllegalAbtNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements IllegalAbtNotifier {
        @Override
        public void onIllegalAbort(UserPtRegs regs) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                notifier.onIllegalAbort(gate.regs());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's android14-5.15 {@code host_perm_fault_handler}: the same gate, seen as a {@code kvm_cpu_context}. */
    record CtxtPermFaultHandler(KvmCpuContextPermFaultHandler handler, ModuleContainment owner, El2Code code,
            HypPlatform platform) implements HostPermFaultHandler {
        @Override
        public int handle(UserPtRegs regs, long esr, long addr) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                return handler.handle(gate.context(), esr, addr);
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's android14-5.15 {@code illegal_abt_notifier}. */
    record CtxtAbtNotifier(KvmCpuContextAbtNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements IllegalAbtNotifier {
        @Override
        public void onIllegalAbort(UserPtRegs regs) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                notifier.onIllegalAbort(gate.context());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
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
            El2Code outer = platform.enterEl2(cpu, code);
            try {
                driver.putc(c);
            } finally {
                platform.exitEl2(cpu, outer);
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
            El2Code outer = platform.enterEl2(cpu, code);
            try {
                sync.sync(gather);
            } finally {
                platform.exitEl2(cpu, outer);
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
            Cpu cpu = platform.currentCpu();
            El2Code outer = platform.enterEl2(cpu, code);
            try {
                return handler.reset(cookie, hostToGuest);
            } finally {
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's {@code host_smc_handler}: the host's registers of the trap's CPU. */
    record HostSmc(HostSmcHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HostSmcHandler {
        @Override
        public boolean handle(UserPtRegs regs) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                return handler.handle(gate.regs());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's {@code guest_smc_handler}: the guest's registers of the trap's CPU. */
    record GuestSmc(GuestSmcHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements GuestSmcHandler {
        @Override
        public boolean handle(UserPtRegs regs, long vmHandle) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.guestGate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                return handler.handle(gate.regs(), vmHandle);
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's {@code psci_notifier}: the host's registers of the CPU the event concerns. */
    record Psci(PsciNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements PsciNotifier {
        @Override
        public void notify(PsciEvent event, UserPtRegs regs) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                notifier.notify(event, gate.regs());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's TRNG {@code rnd64}. */
    record Rnd64(GuestTrngOps.Rnd64 rnd64, El2Code code, HypPlatform platform) implements GuestTrngOps.Rnd64 {
        @Override
        public boolean rnd64(long[] out, int bits) {
            Cpu cpu = platform.currentCpu();
            El2Code outer = platform.enterEl2(cpu, code);
            try {
                return rnd64.rnd64(out, bits);
            } finally {
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's {@code default_trap_handler}. */
    record TrapHandler(DefaultTrapHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements DefaultTrapHandler {
        @Override
        public boolean handle(UserPtRegs regs, long esr) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                return handler.handle(gate.regs(), esr);
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
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
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                notifier.onHypPanic(gate.regs());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
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
            Cpu cpu = platform.currentCpu();
            El2Code outer = platform.enterEl2(cpu, code);
            try {
                return callback.unmask();
            } finally {
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's SError {@code mask} callback, on the trap's CPU. */
    record Mask(SerrorMask callback, El2Code code, HypPlatform platform) implements SerrorMask {
        @Override
        public void mask() {
            Cpu cpu = platform.currentCpu();
            El2Code outer = platform.enterEl2(cpu, code);
            try {
                callback.mask();
            } finally {
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's android14-5.15 {@code host_smc_handler}: the same gate, seen as a {@code kvm_cpu_context}. */
    record CtxtHostSmc(KvmCpuContextSmcHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HostSmcHandler {
        @Override
        public boolean handle(UserPtRegs regs) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                return handler.handle(gate.context());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's android14-5.15 {@code default_trap_handler}. */
    record CtxtTrapHandler(KvmCpuContextTrapHandler handler, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements DefaultTrapHandler {
        @Override
        public boolean handle(UserPtRegs regs, long esr) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                return handler.handle(gate.context(), esr);
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's android14-5.15 {@code psci_notifier}. */
    record CtxtPsci(KvmCpuContextPsciNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements PsciNotifier {
        @Override
        public void notify(PsciEvent event, UserPtRegs regs) {
            Cpu cpu = platform.currentCpu();
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                notifier.notify(event, gate.context());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** A module's android14-5.15 {@code hyp_panic_notifier}, run as {@link PanicNotifier} is. */
    record CtxtPanicNotifier(KvmCpuContextPanicNotifier notifier, ModuleContainment owner, El2Code code, HypPlatform platform)
            implements HypPanicNotifiers.Notifier {
        @Override
        public void run(Cpu cpu) {
            RegsGate gate = owner.gate(cpu);
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                notifier.onHypPanic(gate.context());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }

        @Override
        public String module() {
            return owner.name();
        }
    }
}
