package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el2.KvmCpuContextHandler;
import org.pkvm4j.api.el2.UserPtRegsHandler;

/**
 * A registered dynamic hypercall: a linked handler of either ABI and the module that owns it.
 */
sealed interface Hcall {

    /** The module that registered it. */
    El2Module owner();

    /** The symbol name, for reports. */
    String symbol();

    /** Runs the handler on the trapped host context. */
    void call(KvmCpuContext ctx);

    /** An android14-6.1+ handler: it writes x0 itself; the dispatcher does not preset it. */
    record UserPtRegsCall(El2Module owner, String symbol, UserPtRegsHandler handler) implements Hcall {
        @Override
        public void call(KvmCpuContext ctx) {
            handler.handle(ctx.regs());
        }
    }

    /** An android14-5.15 handler: the dispatcher presets x0 = success, the handler writes results. */
    record KvmCpuContextCall(El2Module owner, String symbol, KvmCpuContextHandler handler) implements Hcall {
        @Override
        public void call(KvmCpuContext ctx) {
            ctx.setReg(0, Smccc.RET_SUCCESS);
            handler.handle(ctx);
        }
    }
}
