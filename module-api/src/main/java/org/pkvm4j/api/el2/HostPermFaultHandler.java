package org.pkvm4j.api.el2;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor handler of host stage-2 permission faults: the host accessed a page a module restricted
 * with {@link ModuleOps#hostStage2ModProt} in a way the restriction forbids.
 *
 * <p>Kernel counterpart: the callback of {@code register_host_perm_fault_handler}, {@code int
 * (*cb)(struct user_pt_regs *regs, u64 esr, u64 addr)}. Handlers run at EL2, in registration order,
 * until one returns 0; that one claims the fault. If none claims it, the hypervisor injects the abort
 * into the host.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface HostPermFaultHandler {
    /**
     * Handles one permission fault.
     *
     * <p>What a claimed fault means for the host's access: the access is retried once; if the page
     * now allows it (the handler relaxed the protection), it completes; otherwise the handler is taken
     * to have emulated it, as a C handler that advances {@code ELR_EL2} past the instruction does: a
     * store is dropped, a load reads 0.
     *
     * @param regs the host's registers at the fault (x0..x30), which the handler may change
     * @param esr {@code ESR_EL2}: a data abort from a lower EL ({@code EC = 0x24}), {@code WnR} (bit 6)
     *     set for a write, {@code DFSC} a level-3 permission fault ({@code 0x0F})
     * @param addr the faulting physical address (the host's IPA, its stage-2 is an identity map)
     * @return 0 to claim the fault; anything else ({@code -EPERM} by convention) lets the next handler,
     *     and after the last one pKVM, handle it
     */
    int handle(UserPtRegs regs, long esr, long addr);
}
