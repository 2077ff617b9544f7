package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;
import org.pkvm4j.api.UserPtRegs;

/**
 * A dynamic hypercall handler of the android14-6.1 and later ABI.
 *
 * <p>Kernel counterpart: {@code dyn_hcall_t}, {@code void (*)(struct user_pt_regs *)}. The handler
 * reads its arguments from x1..x3 and must write its SMCCC status to x0 itself (the dispatcher does
 * not preset it) and its results to x1..x3. It reports failure in the registers: an exception
 * escaping a handler is a hyp panic. An {@link El2Symbol} method {@code static void (UserPtRegs)}
 * is linked to this type.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface UserPtRegsHandler {
    /**
     * Handles one trapped call; {@code regs} is the calling CPU's host context.
     *
     * @param regs the trapping CPU's registers: x0..x3 carry the call and its answer
     */
    void handle(UserPtRegs regs);
}
