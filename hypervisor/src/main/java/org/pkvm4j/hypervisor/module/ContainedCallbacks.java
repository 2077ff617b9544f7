package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.RegsGate;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.IllegalAbtNotifier;
import org.pkvm4j.api.el2.KvmCpuContextAbtNotifier;
import org.pkvm4j.api.el2.KvmCpuContextPermFaultHandler;
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
}
