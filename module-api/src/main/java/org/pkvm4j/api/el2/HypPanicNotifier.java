package org.pkvm4j.api.el2;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor callback run at EL2 when the hypervisor panics, before the panic is reported: the last
 * chance to save state (a crash log in a reserved page, a watchdog kick).
 *
 * <p>Kernel counterpart: the callback of {@code register_hyp_panic_notifier}, {@code void
 * (*cb)(struct user_pt_regs *regs)}, called by {@code hyp_panic}. It runs on the panicking CPU inside
 * the trap that panicked, under the lockup watchdog; if it throws, or runs past the lockup bound, the
 * panic is reported anyway (with what went wrong).
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface HypPanicNotifier {
    /**
     * Called once, for the first panic.
     *
     * @param regs the host's registers of the trap that panicked (x0..x30)
     */
    void onHypPanic(UserPtRegs regs);
}
