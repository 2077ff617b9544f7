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

    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(Chunk[].class);
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long size;
    private final long end;
    private final Arena arena = Arena.ofAuto();
    private final Chunk[] chunks;
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
        this.chunks = new Chunk[(int) n];
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

    /** The chunk holding DRAM offset {@code off}, or null if nothing in it was touched yet. */
    Chunk chunkOrNull(int index) {
        return (Chunk) CHUNKS.getAcquire(chunks, index);
    }

    /** The chunk at {@code index}, created on first use (metadata and contents still lazy). */
    Chunk chunk(int index) {
        Chunk c = (Chunk) CHUNKS.getAcquire(chunks, index);
        if (c == null) {
            Chunk fresh = new Chunk(this, index);
            Chunk witness = (Chunk) CHUNKS.compareAndExchangeRelease(chunks, index, null, fresh);
            c = witness == null ? fresh : witness;
        }
        return c;
    }

    /** The metadata word of DRAM page {@code pageIndex} (0-based from {@link #BASE}); 0 if untouched. */
    long word(long pageIndex) {
        Chunk c = chunkOrNull((int) (pageIndex >>> (CHUNK_SHIFT - PAGE_SHIFT)));
        return c == null ? HypPage.INITIAL : c.word((int) pageIndex & (PAGES_PER_CHUNK - 1));
    }

    /** Writes the metadata word of DRAM page {@code pageIndex}; only the hypervisor's writer calls this. */
    void setWord(long pageIndex, long word) {
        Chunk c = chunkOrNull((int) (pageIndex >>> (CHUNK_SHIFT - PAGE_SHIFT)));
        if (c == null) {
            if (word == HypPage.INITIAL) {
                return;
            }
            c = chunk((int) (pageIndex >>> (CHUNK_SHIFT - PAGE_SHIFT)));
        }
        c.setWord((int) pageIndex & (PAGES_PER_CHUNK - 1), word);
    }

    /**
     * One 2 MiB chunk: its metadata and its contents, each allocated on first need and published
     * with release/acquire so a reader on another thread sees it initialised.
     */
    static final class Chunk {
        private static final VarHandle META;
        private static final VarHandle DATA;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                META = l.findVarHandle(Chunk.class, "meta", long[].class);
                DATA = l.findVarHandle(Chunk.class, "data", MemorySegment.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Dram dram;
        private final int index;
        @SuppressWarnings("unused") // accessed through META
        private long[] meta;
        @SuppressWarnings("unused") // accessed through DATA
        private MemorySegment data;

        Chunk(Dram dram, int index) {
            this.dram = dram;
            this.index = index;
        }

        /** The metadata word of page {@code i} of this chunk (an opaque read: atomic, no fence). */
        long word(int i) {
            long[] m = (long[]) META.getAcquire(this);
            return m == null ? HypPage.INITIAL : (long) WORDS.getOpaque(m, i);
        }

        void setWord(int i, long word) {
            long[] m = (long[]) META.getAcquire(this);
            if (m == null) {
                long[] fresh = new long[PAGES_PER_CHUNK];
                long[] witness = (long[]) META.compareAndExchangeRelease(this, null, fresh);
                m = witness == null ? fresh : witness;
                if (witness == null) {
                    dram.metadata.addAndGet((long) PAGES_PER_CHUNK * Long.BYTES);
                }
            }
            WORDS.setRelease(m, i, word);
        }

        /** The contents, or null if never touched. */
        MemorySegment dataOrNull() {
            return (MemorySegment) DATA.getAcquire(this);
        }

        /** The contents, allocated (zeroed) on first use. */
        MemorySegment data() {
            MemorySegment d = (MemorySegment) DATA.getAcquire(this);
            if (d == null) {
                synchronized (this) {
                    d = (MemorySegment) DATA.getAcquire(this);
                    if (d == null) {
                        long bytes = Math.min(CHUNK_SIZE, dram.size - ((long) index << CHUNK_SHIFT));
                        // Arena.allocate zeroes the memory: a fresh chunk reads as zeros, like DRAM after reset.
                        d = dram.arena.allocate(bytes, MachineConfig.PAGE_SIZE);
                        DATA.setRelease(this, d);
                        dram.committed.addAndGet(bytes);
                    }
                }
            }
            return d;
        }
    }
}
