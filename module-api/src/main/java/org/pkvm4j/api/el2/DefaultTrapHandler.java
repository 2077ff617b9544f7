package org.pkvm4j.api.el2;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor handler of host traps pKVM does not handle itself: here, the host's {@code MSR} and
 * {@code MRS} accesses a module made trap with {@link ModuleOps#updateHcrEl2} or {@link
 * ModuleOps#updateHfgwtrEl2}.
 *
 * <p>Kernel counterpart: the callback of {@code register_default_trap_handler}, {@code bool
 * (*cb)(struct user_pt_regs *regs)}, called from {@code handle_trap}'s default case. In C the handler
 * reads {@code ESR_EL2} itself; here it is passed in. A handler that returns true has emulated the
 * access (the hypervisor skips the instruction: a trapped {@code MSR} changes the register only if
 * the handler wrote it, with {@link ModuleOps#writeSysreg}; a trapped {@code MRS} reads what the
 * handler put in {@code regs.get(Rt)}). Returning false, or no handler at all, is a hyp panic.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface DefaultTrapHandler {
    /**
     * Handles one trapped access.
     *
     * @param regs the host's registers at the trap (x0..x30); the access's {@code Rt} is among them
     * @param esr {@code ESR_EL2}: for a system-register access {@code EC = 0x18} with the register's
     *     encoding, {@code Rt} and the direction; decode it with {@link org.pkvm4j.api.SysReg#fromEsr}
     * @return true if the access was handled (emulated or filtered); false to let pKVM panic
     */
    boolean handle(UserPtRegs regs, long esr);
}
