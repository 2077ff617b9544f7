package org.pkvm4j.api;

/**
 * The Arm SMCCC TRNG (True Random Number Generator) function ids, as a protected guest issues them.
 *
 * <p>Kernel counterpart: {@code ARM_SMCCC_TRNG_*} in {@code include/linux/arm-smccc.h}.
 *
 * @since 0.1
 */
public final class Trng {
    /** {@code ARM_SMCCC_TRNG_VERSION}: x0 = major &lt;&lt; 16 | minor. */
    public static final long VERSION = 0x8400_0050L;
    /** {@code ARM_SMCCC_TRNG_FEATURES}: x1 = a TRNG function id; x0 = 0 or NOT_SUPPORTED. */
    public static final long FEATURES = 0x8400_0051L;
    /** {@code ARM_SMCCC_TRNG_GET_UUID}: x0..x3 = the UUID of the TRNG back end, 32 bits each. */
    public static final long GET_UUID = 0x8400_0052L;
    /** {@code ARM_SMCCC_TRNG_RND64}: x1 = bits (1..192); x1..x3 = the entropy, x3 the low 64 bits. */
    public static final long RND64 = 0xC400_0053L;

    /** {@code TRNG v1.0}, what the hypervisor reports. */
    public static final long VERSION_1_0 = 0x0001_0000L;
    /** The most bits one {@link #RND64} returns. */
    public static final int MAX_BITS_64 = 192;
    /** {@code TRNG_NO_ENTROPY}: the source had no entropy to give now. */
    public static final long RET_NO_ENTROPY = -3;

    private Trng() {
    }
}
