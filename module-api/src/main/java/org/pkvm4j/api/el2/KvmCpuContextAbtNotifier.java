package org.pkvm4j.api.el2;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor callback run before the hypervisor injects an abort into the host, in the android14-5.15
 * shape: {@link IllegalAbtNotifier} with a {@link KvmCpuContext}.
 *
 * <p>Kernel counterpart: the callback of android14-5.15's {@code register_illegal_abt_notifier},
 * {@code void (*cb)(struct kvm_cpu_context *)}. Registered with {@link
 * ModuleOps#registerIllegalAbtNotifierCtxt}; same semantics as {@link IllegalAbtNotifier}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface KvmCpuContextAbtNotifier {
    /**
     * Called once per injected abort, on the faulting CPU.
     *
     * @param ctxt the host's context at the abort
     */
    void onIllegalAbort(KvmCpuContext ctxt);
}
