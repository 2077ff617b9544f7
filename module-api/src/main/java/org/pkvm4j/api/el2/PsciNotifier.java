package org.pkvm4j.api.el2;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor callback told of the host's power-state changes that pass the hypervisor's PSCI relay.
 *
 * <p>Kernel counterpart: the callback of {@code register_psci_notifier}, {@code void (*cb)(enum
 * pkvm_psci_notification, struct user_pt_regs *)}, called from {@code pkvm_psci_notify} in {@code
 * nvhe/psci-relay.c}. One slot. It observes (saves and restores vendor per-CPU state); it cannot
 * refuse the transition.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface PsciNotifier {
    /**
     * Called on the CPU the event concerns.
     *
     * @param event what happens
     * @param regs the host's registers on that CPU (for {@link PsciEvent#CPU_ENTRY}, as the host
     *     will resume: x0 the context id it passed)
     */
    void notify(PsciEvent event, UserPtRegs regs);
}
