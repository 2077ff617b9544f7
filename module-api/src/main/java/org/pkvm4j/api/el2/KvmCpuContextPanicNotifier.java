package org.pkvm4j.api.el2;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor callback run at EL2 when the hypervisor panics, before the panic is reported, in the
 * android14-5.15 shape: {@link HypPanicNotifier} with a {@link KvmCpuContext}.
 *
 * <p>Kernel counterpart: the callback of android14-5.15's {@code register_hyp_panic_notifier}, {@code
 * void (*cb)(struct kvm_cpu_context *host_ctxt)}, called by {@code hyp_panic}. Registered with {@link
 * ModuleOps#registerHypPanicNotifierCtxt}; otherwise the semantics of {@link HypPanicNotifier}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface KvmCpuContextPanicNotifier {
    /**
     * Called once, for the first panic.
     *
     * @param hostCtxt the host's context of the trap that panicked (x0..x30)
     */
    void onHypPanic(KvmCpuContext hostCtxt);
}
