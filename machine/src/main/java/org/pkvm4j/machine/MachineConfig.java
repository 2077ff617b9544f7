package org.pkvm4j.machine;

/**
 * The shape of a machine: how many CPUs and how much memory.
 *
 * @param nrCpus CPUs, 1..{@value #MAX_CPUS} ({@code nr_cpus=})
 * @param memBytes DRAM size in bytes, a positive multiple of {@value #PAGE_SIZE} ({@code mem=})
 */
public record MachineConfig(int nrCpus, long memBytes) {
    /** The translation granule: 4 KiB pages. */
    public static final int PAGE_SIZE = 4096;
    /** The most CPUs a machine can have (arm64 {@code NR_CPUS} default of GKI). */
    public static final int MAX_CPUS = 256;
    /** The default CPU count when {@code nr_cpus=} is not given. */
    public static final int DEFAULT_CPUS = 4;
    /** The default DRAM size when {@code mem=} is not given: 1 GiB. */
    public static final long DEFAULT_MEM = 1L << 30;

    /** Checks the ranges. */
    public MachineConfig {
        if (nrCpus < 1 || nrCpus > MAX_CPUS) {
            throw new IllegalArgumentException("nr_cpus must be 1.." + MAX_CPUS + ", was " + nrCpus);
        }
        if (memBytes < PAGE_SIZE || memBytes % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("mem must be a positive multiple of 4 KiB, was " + memBytes);
        }
    }

    /** The default machine: 4 CPUs, 1 GiB. */
    public static MachineConfig defaults() {
        return new MachineConfig(DEFAULT_CPUS, DEFAULT_MEM);
    }
}
