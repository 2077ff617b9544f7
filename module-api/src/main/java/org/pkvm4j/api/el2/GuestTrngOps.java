package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor's true random number generator for protected guests: the back end of the SMCCC TRNG
 * calls ({@link org.pkvm4j.api.Trng}) a protected VM issues.
 *
 * <p>Kernel counterpart: {@code struct pkvm_module_trng_ops} of {@code register_guest_trng_ops}
 * (android16-6.12, KABI slot 1): the back end's UUID and its {@code rnd64} callback. Both are
 * required: a nil UUID or no callback is refused with {@code EINVAL}.
 *
 * @param uuidHigh the first 64 bits of the back end's UUID (as TRNG_GET_UUID returns it: x0 the
 *     first 32 bits, x1 the next 32)
 * @param uuidLow the last 64 bits (x2, x3)
 * @param rnd64 the entropy source
 * @since 0.1
 */
public record GuestTrngOps(long uuidHigh, long uuidLow, Rnd64 rnd64) {

    /**
     * The entropy source.
     *
     * @since 0.1
     */
    @VendorImplemented
    @FunctionalInterface
    public interface Rnd64 {
        /**
         * Fills {@code out} with {@code bits} bits of entropy: {@code out[2]} the low 64 bits, then
         * {@code out[1]}, then {@code out[0]}; bits above {@code bits} are ignored.
         *
         * <p>Kernel counterpart: {@code bool (*rnd64)(u64 *entropy, int nr_bits)}.
         *
         * @param out three words, zeroed, fresh for each call
         * @param bits how many bits the guest asked for, 1..192
         * @return true if {@code out} holds entropy; false if the source has none now (the guest reads
         *     {@code TRNG_NO_ENTROPY})
         */
        boolean rnd64(long[] out, int bits);
    }
}
