package org.pkvm4j.machine;

/**
 * A DMA master the host programs: it reads, writes and copies by IOVA, each access translated by the
 * {@link Smmu} for its stream, without the host's stage-2 in the way (a device is not a CPU).
 *
 * <p>Kernel counterpart: any bus master behind an SMMU (a GPU, a modem, a crypto engine), driven by a
 * host driver with {@code dma_map_*}. A transfer goes page by page and stops at the first aborted
 * access, as a real engine reports an error: what it moved before stays moved, and {@link
 * DmaAbortException} names the fault the SMMU recorded.
 */
public final class DmaEngine {
    /** The register page of stream 0's engine; stream {@code s}'s is {@code s} pages above. */
    public static final long REGS_BASE = 0x0A00_0000L;

    private final int streamId;
    private final Smmu smmu;
    private final HypMemory mem;

    DmaEngine(int streamId, Smmu smmu, HypMemory mem) {
        this.streamId = streamId;
        this.smmu = smmu;
        this.mem = mem;
    }

    /** The stream id its transactions carry ({@code StreamID}). */
    public int streamId() {
        return streamId;
    }

    /** The physical address of its register page (MMIO): how the hypervisor's device table knows it. */
    public long regsPhys() {
        return REGS_BASE + ((long) streamId << Dram.PAGE_SHIFT);
    }

    /**
     * Reads 8 bytes at {@code iova}, 8-byte aligned.
     *
     * @throws DmaAbortException if the SMMU aborted the read
     */
    public long read64(long iova) {
        return mem.load64(translate(iova, false, 8));
    }

    /**
     * Writes 8 bytes at {@code iova}, 8-byte aligned.
     *
     * @throws DmaAbortException if the SMMU aborted the write (nothing is written)
     */
    public void write64(long iova, long value) {
        mem.store64(translate(iova, true, 8), value);
    }

    /**
     * Copies {@code size} bytes, a multiple of 8, from {@code srcIova} to {@code dstIova}, 8 bytes at a
     * time, front to back.
     *
     * @throws DmaAbortException at the first aborted access; the bytes before it were copied
     */
    public void copy(long srcIova, long dstIova, long size) {
        if (size < 0 || (size & 7) != 0) {
            throw new IllegalArgumentException("DMA size %d is not a non-negative multiple of 8".formatted(size));
        }
        for (long off = 0; off < size; off += 8) {
            write64(dstIova + off, read64(srcIova + off));
        }
    }

    private long translate(long iova, boolean write, int width) {
        if ((iova & (width - 1)) != 0) {
            throw new IllegalArgumentException("misaligned %d-byte DMA at IOVA 0x%x".formatted(width, iova));
        }
        return smmu.translate(streamId, iova, write);
    }
}
