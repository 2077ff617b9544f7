package org.pkvm4j.machine;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Which CPUs are claimed: one flag per CPU, each on its own cache line.
 *
 * <p>Two threads trapping on two CPUs claim and release their own flags on every trap; kept in
 * adjacent fields of adjacent objects, the flags would share a cache line and the two CPUs would
 * slow each other down (false sharing).
 */
final class CpuClaims {
    /** Ints per 64-byte cache line. */
    private static final int STRIDE = 16;

    /** The flag of an off CPU: neither free (0) nor claimed (1). */
    private static final int PARKED = 2;

    private final AtomicIntegerArray flags;

    CpuClaims(int nrCpus) {
        flags = new AtomicIntegerArray((nrCpus + 1) * STRIDE);
    }

    boolean tryClaim(int cpu) {
        return flags.compareAndSet(index(cpu), 0, 1);
    }

    void release(int cpu) {
        flags.setRelease(index(cpu), 0);
    }

    /** Marks an off CPU (which the caller holds) as taken by nobody: no {@link #tryClaim} succeeds. */
    void park(int cpu) {
        flags.setRelease(index(cpu), PARKED);
    }

    /** Claims a parked CPU: the firmware starting it. */
    boolean claimParked(int cpu) {
        return flags.compareAndSet(index(cpu), PARKED, 1);
    }

    /** Whether the CPU is parked (off). */
    boolean isParked(int cpu) {
        return flags.get(index(cpu)) == PARKED;
    }

    private static int index(int cpu) {
        // Slot 0 shares its line with the array header; start one line in.
        return (cpu + 1) * STRIDE;
    }
}
