package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;

/**
 * Called when a trap for which {@link SerrorUnmask#unmask} answered true returns, before SError is
 * masked again at EL2.
 *
 * <p>Kernel counterpart: the {@code mask} callback of {@code register_unmask_serror}, {@code void
 * (*mask)(void)}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface SerrorMask {
    /** Called on the way out of the trap. */
    void mask();
}
