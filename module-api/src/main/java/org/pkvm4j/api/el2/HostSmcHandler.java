package org.pkvm4j.api.el2;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor handler of the host's SMCs: runs at EL2 for every SMC the PSCI relay and the FF-A proxy
 * did not take, before the call goes on to the firmware (EL3).
 *
 * <p>Kernel counterpart: the callback of {@code register_host_smc_handler}, {@code bool
 * (*cb)(struct user_pt_regs *regs)}, called from {@code handle_host_smc} in {@code nvhe/hyp-main.c}.
 * Handlers run in registration order; the first to return true claims the call and nothing after it
 * (neither a later handler nor the firmware) sees it.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface HostSmcHandler {
    /**
     * Handles one host SMC.
     *
     * @param regs the host's registers: x0 the function id, x1..x17 the arguments; a handler that
     *     claims the call writes the results (x0 the SMCCC status, x1..x3)
     * @return true if the handler answered the call; false to pass it on
     */
    boolean handle(UserPtRegs regs);
}
