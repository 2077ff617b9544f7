package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;

/**
 * An EL2 console driver: the callback a module hands to {@link ModuleOps#registerSerialDriver}.
 *
 * <p>Kernel counterpart: {@code void (*hyp_putc_cb)(char)}, as the {@code pkvm-pl011} module
 * registers it.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface SerialDriver {
    /**
     * Writes one character to the device; runs at EL2 and must not block.
     *
     * @param c the character
     */
    void putc(char c);
}
