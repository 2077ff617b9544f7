package org.pkvm4j.api.el2;

import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor callback told of the host's power-state changes, in the android14-5.15 shape: {@link
 * PsciNotifier} with a {@link KvmCpuContext} instead of the bare registers.
 *
 * <p>Kernel counterpart: the callback of android14-5.15's {@code register_psci_notifier}, {@code void
 * (*cb)(enum pkvm_psci_notification, struct kvm_cpu_context *)}, called from {@code pkvm_psci_notify}
 * in {@code nvhe/psci-relay.c}. Registered with {@link ModuleOps#registerPsciNotifierCtxt}; otherwise
 * the semantics of {@link PsciNotifier}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface KvmCpuContextPsciNotifier {
    /**
     * Called on the CPU the event concerns.
     *
     * @param event what happens
     * @param ctxt the host's context on that CPU (for {@link PsciEvent#CPU_ENTRY}, as the host will
     *     resume: x0 the context id it passed)
     */
    void notify(PsciEvent event, KvmCpuContext ctxt);
}
