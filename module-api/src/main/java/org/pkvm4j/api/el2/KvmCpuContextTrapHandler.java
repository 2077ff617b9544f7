package org.pkvm4j.api.el2;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor handler of host traps pKVM does not handle itself, in the android14-5.15 shape: {@link
 * DefaultTrapHandler} with a {@link KvmCpuContext} instead of the bare registers.
 *
 * <p>Kernel counterpart: the callback of android14-5.15's {@code register_default_trap_handler},
 * {@code bool (*cb)(struct kvm_cpu_context *)}, called from {@code handle_trap}'s default case. In C
 * the handler reads {@code ESR_EL2} itself; here it is passed in, as for {@link DefaultTrapHandler}.
 * Registered with {@link ModuleOps#registerDefaultTrapHandlerCtxt}; otherwise the semantics of
 * {@link DefaultTrapHandler}: returning false, or no handler at all, is a hyp panic.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface KvmCpuContextTrapHandler {
    /**
     * Handles one trapped access.
     *
     * @param ctxt the host's context at the trap (x0..x30); the access's {@code Rt} is among them
     * @param esr {@code ESR_EL2}; decode it with {@link org.pkvm4j.api.SysReg#fromEsr}
     * @return true if the access was handled (emulated or filtered); false to let pKVM panic
     */
    boolean handle(KvmCpuContext ctxt, long esr);
}
