package acme.secure_buffer.hyp;

import java.util.function.LongSupplier;

/**
 * Seeds for key material. The model's CPUs have no RNDR instruction and the hypervisor no TRNG
 * service, and EL2 code may not wait for the host's entropy ({@code SecureRandom} is refused), so
 * the pool is SHA-256 over timer jitter: the low bits of the hypervisor's clock ({@code
 * ModuleOps.getTime}, EL2 has no other) across a busy loop, identity hashes and a counter. Good enough that two buffers never share a key; a real module
 * would call {@code SMCCC_TRNG_RND64} instead. Call with the table's lock held.
 */
final class Entropy {
    private static final int JITTER_SAMPLES = 64;

    private final LongSupplier clock;
    private byte[] pool = new byte[Sha256.DIGEST_LENGTH];
    private long counter;

    /** A pool stirred with readings of {@code clock}. */
    Entropy(LongSupplier clock) {
        this.clock = clock;
    }

    /** A fresh 32-byte seed, stirred back into the pool. */
    byte[] seed(int cpu, long pfn) {
        Sha256 sha = new Sha256().update(pool, 0, pool.length).updateLong(++counter).updateLong(cpu).updateLong(pfn);
        long previous = clock.getAsLong();
        for (int i = 0; i < JITTER_SAMPLES; i++) {
            long now = clock.getAsLong();
            sha.updateLong(now - previous).updateLong(new Object().hashCode());
            previous = now;
        }
        byte[] seed = sha.digest();
        pool = new Sha256().update(seed, 0, seed.length).updateLong(counter).digest();
        return seed;
    }
}
