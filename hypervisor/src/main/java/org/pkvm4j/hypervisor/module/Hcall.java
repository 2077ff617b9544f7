package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.RegsGate;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.KvmCpuContextHandler;
import org.pkvm4j.api.el2.UserPtRegsHandler;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Code;
import org.pkvm4j.machine.HypPlatform;

/**
 * A registered dynamic hypercall: a linked handler of either ABI and the module that owns it.
 *
 * <p>A call publishes the handler as running on the CPU ({@link HypPlatform#enterEl2}: the lockup
 * detector and the ops read it) and opens the module's register view of that CPU for the calling
 * thread; both end when the handler returns or throws. The views and the published name were made
 * when the symbol was linked, so a call allocates nothing.
 */
sealed interface Hcall {

    /** The module that registered it. */
    El2Module owner();

    /** The symbol name, for reports. */
    String symbol();

    /** Runs the handler on {@code cpu}'s trapped host context, through the module's view of it. */
    void call(HypPlatform platform, Cpu cpu);

    /** An android14-6.1+ handler: it writes x0 itself; the dispatcher does not preset it. */
    record UserPtRegsCall(El2Module owner, String symbol, UserPtRegsHandler handler, El2Code code, RegsGate[] gates)
            implements Hcall {

        UserPtRegsCall(El2Module owner, String symbol, UserPtRegsHandler handler) {
            this(owner, symbol, handler, owner.containment().code(symbol), owner.containment().gates());
        }

        @Override
        public void call(HypPlatform platform, Cpu cpu) {
            RegsGate gate = gates[cpu.id()];
            El2Code outer = platform.enterEl2(cpu, code);
            UserPtRegs view = gate.open();
            try {
                handler.handle(view);
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }

    /** An android14-5.15 handler: the dispatcher presets x0 = success, the handler writes results. */
    record KvmCpuContextCall(El2Module owner, String symbol, KvmCpuContextHandler handler, El2Code code, RegsGate[] gates)
            implements Hcall {

        KvmCpuContextCall(El2Module owner, String symbol, KvmCpuContextHandler handler) {
            this(owner, symbol, handler, owner.containment().code(symbol), owner.containment().gates());
        }

        @Override
        public void call(HypPlatform platform, Cpu cpu) {
            cpu.regs().set(0, Smccc.RET_SUCCESS);
            RegsGate gate = gates[cpu.id()];
            El2Code outer = platform.enterEl2(cpu, code);
            gate.open();
            try {
                handler.handle(gate.context());
            } finally {
                gate.close();
                platform.exitEl2(cpu, outer);
            }
        }
    }
}
