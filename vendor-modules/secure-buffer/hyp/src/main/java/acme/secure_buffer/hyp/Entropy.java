package acme.secure_buffer.hyp;

/**
 * Seeds for key material. The model's CPUs have no RNDR instruction and the hypervisor no TRNG
 * service, and EL2 code may not wait for the host's entropy ({@code SecureRandom} is refused), so
 * the pool is SHA-256 over timer jitter: the low bits of {@code System.nanoTime} across a busy loop,
 * object addresses and a counter. Good enough that two buffers never share a key; a real module
 * would call {@code SMCCC_TRNG_RND64} instead. Call with the table's lock held.
 */
final class Entropy {
    private static final int JITTER_SAMPLES = 64;

    private byte[] pool = new byte[Sha256.DIGEST_LENGTH];
    private long counter;

    /** A fresh 32-byte seed, stirred back into the pool. */
    byte[] seed(int cpu, long pfn) {
        Sha256 sha = new Sha256().update(pool, 0, pool.length).updateLong(++counter).updateLong(cpu).updateLong(pfn);
        long previous = System.nanoTime();
        for (int i = 0; i < JITTER_SAMPLES; i++) {
            long now = System.nanoTime();
            sha.updateLong(now - previous).updateLong(System.identityHashCode(new Object()));
            previous = now;
        }
        byte[] seed = sha.digest();
        pool = new Sha256().update(seed, 0, seed.length).updateLong(counter).digest();
        return seed;
    }
}
