package org.pkvm4j.api.el2;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor handler of host stage-2 permission faults, in the android14-5.15 shape: {@link
 * HostPermFaultHandler} with a {@link KvmCpuContext} instead of the bare registers.
 *
 * <p>Kernel counterpart: the callback of android14-5.15's {@code register_host_perm_fault_handler},
 * {@code int (*cb)(struct kvm_cpu_context *ctxt, u64 esr, u64 addr)}. Registered with {@link
 * ModuleOps#registerHostPermFaultHandlerCtxt}; same semantics as {@link HostPermFaultHandler}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface KvmCpuContextPermFaultHandler {
    /**
     * Handles one permission fault, as {@link HostPermFaultHandler#handle} does.
     *
     * @param ctxt the host's context at the fault, whose registers the handler may change
     * @param esr {@code ESR_EL2} of the data abort
     * @param addr the faulting physical address
     * @return 0 to claim the fault; anything else lets the next handler, then pKVM, handle it
     */
    int handle(KvmCpuContext ctxt, long esr, long addr);
}
