package org.pkvm4j.api.el2;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor handler of the host's SMCs, in the android14-5.15 shape: {@link HostSmcHandler} with a
 * {@link KvmCpuContext} instead of the bare registers.
 *
 * <p>Kernel counterpart: the callback of android14-5.15's {@code register_host_smc_handler}, {@code
 * bool (*cb)(struct kvm_cpu_context *)}, called from {@code handle_host_smc} after the PSCI relay and
 * the FF-A proxy. That branch has one slot for it. Registered with {@link
 * ModuleOps#registerHostSmcHandlerCtxt}; otherwise the semantics of {@link HostSmcHandler}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface KvmCpuContextSmcHandler {
    /**
     * Handles one host SMC.
     *
     * @param ctxt the host's context: x0 the function id, x1..x17 the arguments; a handler that claims
     *     the call writes the results (x0 the SMCCC status, x1..x3)
     * @return true if the handler answered the call; false to pass it on to the firmware
     */
    boolean handle(KvmCpuContext ctxt);
}
