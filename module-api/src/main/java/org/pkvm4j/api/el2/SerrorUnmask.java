package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;

/**
 * Asked on entry to each host trap whether SError should be unmasked at EL2 for that trap.
 *
 * <p>Kernel counterpart: the {@code unmask} callback of {@code register_unmask_serror}, {@code bool
 * (*unmask)(void)}. With SError unmasked, a pending SError (an asynchronous external abort, say from
 * a device a module drives) is taken at EL2, during that trap, which is a hyp panic naming it;
 * masked, it stays pending and the host takes it once the trap returns.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface SerrorUnmask {
    /**
     * Decides for the trap being entered.
     *
     * @return true to unmask SError ({@code PSTATE.A} cleared) until the trap returns
     */
    boolean unmask();
}
