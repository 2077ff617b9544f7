package org.pkvm4j.api.el2;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor callback run at EL2 just before the hypervisor injects an abort into the host: the host
 * touched a page it may not access (owned by EL2 or a guest), or a restricted page no permission-fault
 * handler claimed.
 *
 * <p>Kernel counterpart: the callback of {@code register_illegal_abt_notifier}, {@code void
 * (*cb)(struct user_pt_regs *regs)}, called from {@code host_inject_abort}. It observes (logs, counts,
 * records the culprit); it cannot stop the injection.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface IllegalAbtNotifier {
    /**
     * Called once per injected abort, on the faulting CPU.
     *
     * @param regs the host's registers at the abort (x0..x30)
     */
    void onIllegalAbort(UserPtRegs regs);
}
