package org.pkvm4j.machine;

import java.util.Objects;

/**
 * A piece of vendor EL2 code the hypervisor is about to run on a CPU: which module, which symbol,
 * and an identity only the hypervisor compares.
 *
 * <p>Kernel counterpart: none as a structure; it is what the kernel's lockup report reads off the
 * stuck CPU's PC and symbolizes. The hypervisor makes one per callable it links (an HVC handler, an
 * EL2 init, a perm-fault handler, the abort notifier, a serial driver) and publishes it on the CPU
 * for as long as that code runs ({@link HypPlatform#enterEl2}), so the lockup detector can name it
 * and the ops can tell whose code is running.
 *
 * @param owner the hypervisor's token for the module (compared by identity, never called)
 * @param module the vendor module's name
 * @param symbol the symbol or callback being run, e.g. {@code pkvm_driver_hyp_hvc}
 */
public record El2Code(Object owner, String module, String symbol) {

    /** Checks the arguments. */
    public El2Code {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(symbol, "symbol");
    }

    /** {@code module:symbol}, for reports. */
    public String describe() {
        return module + ":" + symbol;
    }

    // Identity, not the owner's equals/hashCode/toString: the owner is only a token.
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "El2Code[" + describe() + "]";
    }
}
