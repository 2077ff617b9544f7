package org.pkvm4j.api.el2;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor handler of a protected guest's SMCs: runs at EL2 for every SMC of a protected VM that the
 * hypervisor does not answer itself (the TRNG calls, PSCI).
 *
 * <p>Kernel counterpart: the callback of {@code register_guest_smc_handler}, {@code bool
 * (*cb)(struct user_pt_regs *ctxt, struct arm_smccc_res *res, pkvm_handle_t handle)}. pkvm4j passes
 * the guest's registers once: the handler reads the arguments from x0..x3 and writes the answer
 * ({@code res}) to the same registers. Handlers run in registration order; the first to return true
 * answers the guest. If none does, the guest reads {@code SMCCC_RET_NOT_SUPPORTED}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface GuestSmcHandler {
    /**
     * Handles one guest SMC.
     *
     * @param regs the guest's registers: x0 the function id, x1..x3 the arguments; a handler that
     *     claims the call writes x0..x3
     * @param vmHandle the VM's handle ({@code pkvm_handle_t})
     * @return true if the handler answered the call; false to pass it on
     */
    boolean handle(UserPtRegs regs, long vmHandle);
}
