package org.pkvm4j.machine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal SMMU (an Arm SMMUv3 cut down to what DMA isolation needs): every access of a DMA master
 * goes through a stream table and page tables that live in DRAM, which whoever owns the SMMU's
 * registers (the hypervisor, once the host donated them) writes.
 *
 * <p>Kernel counterpart: the hardware behind {@code drivers/iommu/arm/arm-smmu-v3/pkvm/}, the
 * pKVM SMMUv3 driver. The layout (pkvm4j's, documented in {@code docs/adr/0015-iommu-model.md}):
 *
 * <ul>
 *   <li>registers at {@link #PA} (QEMU {@code virt}'s SMMUv3): {@link #CR0} ({@link #CR0_SMMUEN}),
 *       {@link #STRTAB_BASE} (the PA of a one-page stream table), {@link #CMD_TLBI} (a write
 *       invalidates the IOTLB of stream {@code value}, or of every stream for {@code -1}),
 *       {@link #EVTQ_COUNT} (read: how many faults were recorded);
 *   <li>stream table: {@link #NR_STREAMS} 8-byte entries ({@code STE}): bit 0 valid, bits 12..47 the
 *       PA of the stream's level-1 table;
 *   <li>translation: 39-bit IOVA, three levels of 512 8-byte descriptors (IOVA bits 38..30, 29..21,
 *       20..12); a level-1 or level-2 descriptor is bit 0 valid, bits 12..47 the next table's PA; a
 *       level-3 descriptor is bit 0 valid, {@link #PTE_R}, {@link #PTE_W}, bits 12..47 the page's PA.
 * </ul>
 *
 * <p>Disabled ({@code CR0.SMMUEN} clear, as at reset) the SMMU aborts every transaction: the model's
 * {@code GBPA.ABORT} is set, so a device does no DMA at all until EL2 programs it (fail closed). A
 * translation is cached in the IOTLB until {@link #CMD_TLBI} drops it: EL2 code that unmaps a page
 * must invalidate before the page changes hands, as on hardware. Faults are recorded in the event
 * queue ({@link #faults()}, the last {@link #EVTQ_DEPTH}) and the access is not performed.
 */
public final class Smmu {
    /** Physical address of the SMMU's register page, as on QEMU's arm64 {@code virt} board. */
    public static final long PA = 0x0905_0000L;
    /** {@code SMMU_CR0}. */
    public static final long CR0 = 0x20;
    /** {@code SMMU_CR0.SMMUEN}: translate (set) or abort every transaction (clear). */
    public static final long CR0_SMMUEN = 1;
    /** {@code SMMU_STRTAB_BASE}: the PA of the stream table, page aligned. */
    public static final long STRTAB_BASE = 0x80;
    /** Invalidate the IOTLB: the value is a stream id, or {@code -1} for all (a {@code CMD_TLBI_*}). */
    public static final long CMD_TLBI = 0x90;
    /** Read-only: the number of faults recorded since power-on. */
    public static final long EVTQ_COUNT = 0xA0;
    /** Streams the stream table holds (one page of 8-byte entries). */
    public static final int NR_STREAMS = 512;
    /** Descriptor bit 0: valid. */
    public static final long DESC_VALID = 1;
    /** Level-3 descriptor: the device may read the page. */
    public static final long PTE_R = 1L << 6;
    /** Level-3 descriptor: the device may write the page. */
    public static final long PTE_W = 1L << 7;
    /** Descriptor bits holding a PA (12..47). */
    public static final long ADDR_MASK = ((1L << 48) - 1) & ~0xFFFL;
    /** IOVA bits a stream translates. */
    public static final int IOVA_BITS = 39;
    /** How many faults the event queue keeps. */
    public static final int EVTQ_DEPTH = 256;

    /** Why a transaction was aborted ({@code F_*} event types, simplified). */
    public enum FaultReason {
        /** {@code CR0.SMMUEN} is clear: every transaction aborts. */
        DISABLED,
        /** The stream id is beyond the table, or its entry is not valid ({@code C_BAD_STE}). */
        BAD_STE,
        /** A descriptor on the walk is not valid, or the IOVA is beyond 39 bits ({@code F_TRANSLATION}). */
        TRANSLATION,
        /** The leaf forbids the access ({@code F_PERMISSION}). */
        PERMISSION,
        /** A table or the output address is not DRAM ({@code F_WALK_EABT} / {@code F_ADDR_SIZE}). */
        ADDRESS
    }

    /** One aborted transaction: the stream, the IOVA, whether it was a write, and why. */
    public record Fault(int streamId, long iova, boolean write, FaultReason reason) {
    }

    private final HypMemory mem;
    private volatile long cr0;
    private volatile long strtabBase;
    private final ConcurrentHashMap<Long, Long> iotlb = new ConcurrentHashMap<>();
    private final AtomicLong faultCount = new AtomicLong();
    private final ArrayList<Fault> evtq = new ArrayList<>();

    Smmu(HypMemory mem) {
        this.mem = mem;
    }

    /** Whether {@code pa} is one of the SMMU's registers. */
    static boolean owns(long pa) {
        return (pa & ~0xFFFL) == PA;
    }

    long mmioLoad(long pa, int width) {
        long off = pa - PA;
        if (off == CR0) {
            return cr0;
        }
        if (off == STRTAB_BASE) {
            return strtabBase;
        }
        if (off == EVTQ_COUNT) {
            return faultCount.get();
        }
        return 0;
    }

    void mmioStore(long pa, int width, long value) {
        long off = pa - PA;
        if (off == CR0) {
            cr0 = value;
            iotlb.clear(); // enabling or disabling drops every cached translation
        } else if (off == STRTAB_BASE) {
            strtabBase = value & ADDR_MASK;
            iotlb.clear();
        } else if (off == CMD_TLBI) {
            if (value == -1) {
                iotlb.clear();
            } else {
                long sid = value;
                iotlb.keySet().removeIf(k -> k >>> (IOVA_BITS - 12) == sid);
            }
        }
    }

    /**
     * Translates one access of stream {@code streamId} to {@code iova}.
     *
     * @throws DmaAbortException after recording the fault, if the SMMU aborts the access
     */
    long translate(int streamId, long iova, boolean write) {
        FaultReason reason;
        if ((cr0 & CR0_SMMUEN) == 0) {
            reason = FaultReason.DISABLED;
        } else if (streamId < 0 || streamId >= NR_STREAMS) {
            reason = FaultReason.BAD_STE;
        } else if (iova < 0 || iova >>> IOVA_BITS != 0) {
            reason = FaultReason.TRANSLATION;
        } else {
            long key = ((long) streamId << (IOVA_BITS - 12)) | (iova >>> 12);
            Long cached = iotlb.get(key);
            long pte = cached != null ? cached : walk(streamId, iova);
            if (pte < 0) {
                reason = FaultReason.values()[(int) -pte - 1];
            } else if ((pte & (write ? PTE_W : PTE_R)) == 0) {
                reason = FaultReason.PERMISSION;
            } else {
                if (cached == null) {
                    iotlb.put(key, pte);
                }
                return (pte & ADDR_MASK) | (iova & 0xFFF);
            }
        }
        Fault fault = new Fault(streamId, iova, write, reason);
        record(fault);
        throw new DmaAbortException(fault);
    }

    /** The level-3 descriptor of {@code iova}, or {@code -(reason.ordinal() + 1)}. */
    private long walk(int streamId, long iova) {
        long ste = readDesc(strtabBase + 8L * streamId);
        if (ste == Long.MIN_VALUE) {
            return -(FaultReason.ADDRESS.ordinal() + 1);
        }
        if ((ste & DESC_VALID) == 0) {
            return -(FaultReason.BAD_STE.ordinal() + 1);
        }
        long table = ste & ADDR_MASK;
        for (int level = 1; level <= 3; level++) {
            int shift = 12 + 9 * (3 - level);
            long desc = readDesc(table + 8 * ((iova >>> shift) & 511));
            if (desc == Long.MIN_VALUE) {
                return -(FaultReason.ADDRESS.ordinal() + 1);
            }
            if ((desc & DESC_VALID) == 0) {
                return -(FaultReason.TRANSLATION.ordinal() + 1);
            }
            if (level == 3) {
                return mem.dram().isMemory(desc & ADDR_MASK) ? desc : -(FaultReason.ADDRESS.ordinal() + 1);
            }
            table = desc & ADDR_MASK;
        }
        throw new AssertionError();
    }

    /** A descriptor read from DRAM by the walker, or {@code Long.MIN_VALUE} if {@code pa} is not DRAM. */
    private long readDesc(long pa) {
        return mem.dram().isMemory(pa) ? mem.load64(pa) : Long.MIN_VALUE;
    }

    private void record(Fault fault) {
        faultCount.incrementAndGet();
        synchronized (evtq) {
            if (evtq.size() == EVTQ_DEPTH) {
                evtq.removeFirst();
            }
            evtq.add(fault);
        }
    }

    /** The faults recorded, oldest first (the last {@link #EVTQ_DEPTH}). */
    public List<Fault> faults() {
        synchronized (evtq) {
            return List.copyOf(evtq);
        }
    }

    /** How many faults were recorded since power-on. */
    public long faultCount() {
        return faultCount.get();
    }
}
