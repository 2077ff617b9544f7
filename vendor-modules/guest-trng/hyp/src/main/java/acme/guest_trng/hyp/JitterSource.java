package acme.guest_trng.hyp;

import java.util.function.LongSupplier;

/**
 * An entropy source over timer jitter, with the continuous health test a TRNG driver runs: a word
 * whose clock samples did not move at all is no entropy, and the call answers TRNG_NO_ENTROPY.
 *
 * <p>The model's SoC has no TRNG block, so the raw samples are the low bits of the hypervisor's
 * clock ({@code ModuleOps.getTime}) across a short busy loop, conditioned with the SplitMix64
 * finalizer; a real module would read its SoC's TRNG registers through a private mapping.
 */
final class JitterSource {
    private static final int SAMPLES_PER_WORD = 16;

    private final LongSupplier clock;
    private long pool;

    JitterSource(LongSupplier clock) {
        this.clock = clock;
        this.pool = clock.getAsLong();
    }

    /** Fills {@code out} with 64-bit words; false if the clock stood still (health test failed). */
    boolean fill(long[] out) {
        for (int w = 0; w < out.length; w++) {
            long previous = clock.getAsLong();
            long moved = 0;
            for (int i = 0; i < SAMPLES_PER_WORD; i++) {
                long now = clock.getAsLong();
                long delta = now - previous;
                moved |= delta;
                pool = mix(pool ^ (delta * 0x9E37_79B9_7F4A_7C15L) ^ ((long) i << 58));
                previous = now;
            }
            if (moved == 0) {
                return false;
            }
            out[w] = pool;
        }
        return true;
    }

    /** SplitMix64's finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
