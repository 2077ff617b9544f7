package org.pkvm4j.machine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The machine's DRAM and its per-page metadata, both committed lazily in 2 MiB chunks.
 *
 * <p>Kernel counterpart: the memblock memory of an arm64 {@code virt} board (one region at {@link
 * #BASE}) and the hyp vmemmap ({@code struct hyp_page} per page). The contents of a chunk are an
 * off-heap {@link MemorySegment} allocated, zeroed, from the machine's one automatic {@link Arena} on
 * the first access that needs them; its metadata is a {@code long[512]} allocated on the first
 * metadata write. So {@code mem=64G} costs only what is touched, and a range donated without being
 * written costs metadata only.
 *
 * <p>TLB invalidation: a write of a page's metadata word that takes host access away completes as
 * the kernel's stage-2 update does after its {@code TLBI} and {@code DSB ISH}: no host access that
 * passed the old check takes effect after it. Each page has two ints, allocated with its chunk's
 * contents ({@link #tlbOf}). <em>Stores</em> are counted in flight: {@link HostMemory} raises the
 * count before it reads the word and lowers it after the store, and a write that takes write access
 * away waits for the count to reach zero (both sides volatile: either the store sees the new word or
 * the writer sees the store in flight; a store that sees a forbidding word lowers the count before it
 * traps, so the writer, which holds the host lock, never waits on it). <em>Loads</em> are validated
 * instead, as an optimistic read of a seqlock: a write that takes read access away bumps the page's
 * load sequence after the word; a load reads the sequence, the word and the contents, then the
 * sequence again, and keeps the value only if it did not move, so a load never returns contents read
 * after the page left the host (a retry takes the fault). Loads pay no atomic update: counting them
 * too made {@code HostLoadBench.checked} about 4.5x slower (ADR 0017).
 *
 * <p>This public face gives the geometry and the accounting, nothing else: the host reaches the
 * contents through {@link HostMemory} (checked against the host stage-2), the hypervisor through
 * {@link HypMemory} (privileged, from {@link HypPlatform#memory()}).
 */
public final class Dram {
    /** Physical base of DRAM: 2 GiB, as on QEMU's arm64 {@code virt} board. */
    public static final long BASE = 0x8000_0000L;
    /**
     * The host's physical address size in bits ({@code kvm_phys_shift} of the host stage-2, which pKVM
     * sizes from the CPU's {@code ID_AA64MMFR0_EL1.PARange}): 48, the ARMv8.0 maximum, so any {@code
     * mem=} the command line accepts up to 256 TiB fits. PAs at or above {@code 1 << PA_BITS} are
     * outside the host PA range ({@code pfn_range_is_valid} refuses them).
     */
    public static final int PA_BITS = 48;
    /** Page shift of the 4 KiB granule. */
    public static final int PAGE_SHIFT = 12;
    /** Chunk shift: 2 MiB, a level-2 block at 4 KiB. */
    public static final int CHUNK_SHIFT = 21;
    /** Chunk size in bytes. */
    public static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;

    static final int PAGES_PER_CHUNK = 1 << (CHUNK_SHIFT - PAGE_SHIFT);
    static final long CHUNK_MASK = CHUNK_SIZE - 1;
    /** arm64 is little-endian; the layouts are explicit so the model does not depend on the JVM's host. */
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private static final VarHandle METAS = MethodHandles.arrayElementVarHandle(long[][].class);
    private static final VarHandle DATAS = MethodHandles.arrayElementVarHandle(MemorySegment[].class);
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TLBS = MethodHandles.arrayElementVarHandle(int[][].class);
    private static final VarHandle TLB = MethodHandles.arrayElementVarHandle(int[].class);

    private final long size;
    private final long end;
    private final Arena arena = Arena.ofAuto();
    // Per 2 MiB chunk, each null until first needed, then fixed for good: the chunk's metadata words
    // and its contents. Two flat arrays rather than an array of chunk objects holding both: the host's
    // checked load (HostMemory holds the arrays) reaches the word and the segment without the chunk
    // object in between. Measured by bench/HostLoadBench: 8.7 -> 2.7 ns a checked load.
    private final long[][] metas;
    private final MemorySegment[] datas;
    // Per chunk, each page's stores in flight ([i]) and load sequence ([PAGES_PER_CHUNK + i]): the
    // class comment's TLB model. Set before the chunk's contents are published, so a chunk with
    // contents has them.
    private final int[][] tlbs;
    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong metadata = new AtomicLong();

    Dram(long size) {
        if (size <= 0 || size % MachineConfig.PAGE_SIZE != 0 || size > (1L << PA_BITS) - BASE) {
            throw new IllegalArgumentException("DRAM of %d bytes does not fit a %d-bit PA space above 0x%x"
                    .formatted(size, PA_BITS, BASE));
        }
        this.size = size;
        this.end = BASE + size;
        long n = (size + CHUNK_MASK) >>> CHUNK_SHIFT;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("DRAM too large: " + size);
        }
        this.metas = new long[(int) n][];
        this.datas = new MemorySegment[(int) n];
        this.tlbs = new int[(int) n][];
    }

    /** First PA of DRAM. */
    public long base() {
        return BASE;
    }

    /** DRAM size in bytes ({@code mem=}). */
    public long size() {
        return size;
    }

    /** First PA after DRAM. */
    public long end() {
        return end;
    }

    /** First pfn of DRAM. */
    public long basePfn() {
        return BASE >>> PAGE_SHIFT;
    }

    /** Number of 4 KiB pages of DRAM. */
    public long nrPages() {
        return size >>> PAGE_SHIFT;
    }

    /** Whether {@code pa} is DRAM (a memblock memory region), as opposed to MMIO or nothing. */
    public boolean isMemory(long pa) {
        return pa >= BASE && pa < end;
    }

    /** Whether page frame {@code pfn} is DRAM. */
    public boolean isMemoryPfn(long pfn) {
        return pfn >= basePfn() && pfn < (end >>> PAGE_SHIFT);
    }

    /** Bytes of off-heap contents committed so far (chunks touched). */
    public long committedBytes() {
        return committed.get();
    }

    /** Bytes of per-page metadata allocated so far: 8 per page of each chunk whose metadata was written. */
    public long metadataBytes() {
        return metadata.get();
    }

    /** Metadata bytes per page: one {@code long}, like {@code struct hyp_page}. */
    public static int metadataBytesPerPage() {
        return Long.BYTES;
    }

    // ---- package-private access for HostMemory and HypMemory ----

    /** The metadata words of every chunk (elements null until written); read with {@link #metaOrNull}. */
    long[][] metas() {
        return metas;
    }

    /** The contents of every chunk (elements null until touched); read with {@link #dataOrNull}. */
    MemorySegment[] datas() {
        return datas;
    }

    /** The TLB state of every chunk (non-null wherever the contents are); read with {@link #tlbOf}. */
    int[][] tlbs() {
        return tlbs;
    }

    /** The TLB state of chunk {@code chunk}: non-null once its contents were seen non-null. */
    static int[] tlbOf(int[][] tlbs, int chunk) {
        return (int[]) TLBS.getVolatile(tlbs, chunk);
    }

    /** A host store to page {@code i} of a chunk begins: before its stage-2 check ({@link #wordForAccess}). */
    static void beginStore(int[] tlb, int i) {
        TLB.getAndAdd(tlb, i, 1);
    }

    /** The host store that {@link #beginStore} began has finished, or will trap. */
    static void endStore(int[] tlb, int i) {
        TLB.getAndAdd(tlb, i, -1);
    }

    /** The load sequence of page {@code i}, read before a host load's stage-2 check. */
    static int loadSeq(int[] tlb, int i) {
        return (int) TLB.getAcquire(tlb, PAGES_PER_CHUNK + i);
    }

    /**
     * Whether the load sequence of page {@code i} is still {@code seq} after the load's read of the
     * contents (ordered before this check): if not, read access was taken away meanwhile and the
     * value must not be used.
     */
    static boolean loadSeqUnchanged(int[] tlb, int i, int seq) {
        VarHandle.acquireFence();
        return (int) TLB.getOpaque(tlb, PAGES_PER_CHUNK + i) == seq;
    }

    /** Word {@code i} of chunk {@code chunk}'s metadata, read volatile: the stage-2 check of a host access ({@link HostMemory}). */
    static long wordForAccess(long[][] metas, int chunk, int i) {
        long[] meta = (long[]) METAS.getVolatile(metas, chunk);
        return meta == null ? HypPage.INITIAL : (long) WORDS.getVolatile(meta, i);
    }

    /**
     * The metadata words of chunk {@code chunk} in {@code metas}, or null if none was written yet
     * (every page then has {@link HypPage#INITIAL}). An acquire read: the array a writer published
     * is seen initialised.
     */
    static long[] metaOrNull(long[][] metas, int chunk) {
        return (long[]) METAS.getAcquire(metas, chunk);
    }

    /** The contents of chunk {@code chunk} in {@code datas}, or null if never touched. */
    static MemorySegment dataOrNull(MemorySegment[] datas, int chunk) {
        return (MemorySegment) DATAS.getAcquire(datas, chunk);
    }

    /** Word {@code i} of a chunk's metadata {@code meta} (null: untouched): an opaque read, atomic, no fence. */
    static long word(long[] meta, int i) {
        return meta == null ? HypPage.INITIAL : (long) WORDS.getOpaque(meta, i);
    }

    /** The metadata word of DRAM page {@code pageIndex} (0-based from {@link #BASE}); 0 if untouched. */
    long word(long pageIndex) {
        return word(metaOrNull(metas, (int) (pageIndex >>> (CHUNK_SHIFT - PAGE_SHIFT))),
                (int) pageIndex & (PAGES_PER_CHUNK - 1));
    }

    /**
     * Writes the metadata word of DRAM page {@code pageIndex}; only the hypervisor's writer calls
     * this. If the new word takes away host read or write access the old one gave, returns only once
     * no host access to the page is in flight (the class comment's TLB invalidation).
     */
    void setWord(long pageIndex, long word) {
        int chunk = (int) (pageIndex >>> (CHUNK_SHIFT - PAGE_SHIFT));
        int i = (int) pageIndex & (PAGES_PER_CHUNK - 1);
        long[] m = metaOrNull(metas, chunk);
        if (m == null) {
            if (word == HypPage.INITIAL) {
                return; // untouched metadata already reads as INITIAL
            }
            long[] fresh = new long[PAGES_PER_CHUNK];
            long[] witness = (long[]) METAS.compareAndExchange(metas, chunk, null, fresh);
            m = witness == null ? fresh : witness;
            if (witness == null) {
                metadata.addAndGet((long) PAGES_PER_CHUNK * Long.BYTES);
            }
        }
        long old = (long) WORDS.getOpaque(m, i);
        WORDS.setVolatile(m, i, word);
        boolean noMoreReads = HypPage.hostReadable(old) && !HypPage.hostReadable(word);
        boolean noMoreWrites = HypPage.hostWritable(old) && !HypPage.hostWritable(word);
        if (noMoreReads || noMoreWrites) {
            invalidate(chunk, i, noMoreReads, noMoreWrites);
        }
    }

    /**
     * {@code TLBI} + {@code DSB ISH} for one page: loads that passed the old check will not use their
     * value; stores in flight are waited out.
     */
    private void invalidate(int chunk, int i, boolean noMoreReads, boolean noMoreWrites) {
        int[] tlb = tlbOf(tlbs, chunk);
        if (tlb == null) {
            return; // no contents yet, so no access was ever in flight
        }
        if (noMoreReads) {
            TLB.getAndAdd(tlb, PAGES_PER_CHUNK + i, 1);
        }
        if (noMoreWrites) {
            while ((int) TLB.getVolatile(tlb, i) != 0) {
                Thread.onSpinWait();
            }
        }
    }

    /** The contents of chunk {@code chunk}, or null if never touched. */
    MemorySegment dataOrNull(int chunk) {
        return dataOrNull(datas, chunk);
    }

    /**
     * The contents of chunk {@code chunk}, allocated (zeroed) on first use. The allocation happens
     * under a lock with a second look: a segment of a shared automatic arena lives as long as the
     * arena, so a chunk allocated by a losing racer would never be freed.
     */
    MemorySegment data(int chunk) {
        MemorySegment d = dataOrNull(datas, chunk);
        if (d != null) {
            return d;
        }
        synchronized (datas) {
            d = dataOrNull(datas, chunk);
            if (d == null) {
                long bytes = Math.min(CHUNK_SIZE, size - ((long) chunk << CHUNK_SHIFT));
                // Arena.allocate zeroes the memory: a fresh chunk reads as zeros, like DRAM after reset.
                d = arena.allocate(bytes, MachineConfig.PAGE_SIZE);
                TLBS.setVolatile(tlbs, chunk, new int[2 * PAGES_PER_CHUNK]);
                DATAS.setRelease(datas, chunk, d);
                committed.addAndGet(bytes);
            }
            return d;
        }
    }
}
