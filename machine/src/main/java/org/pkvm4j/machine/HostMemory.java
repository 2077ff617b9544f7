package org.pkvm4j.machine;

import java.lang.foreign.MemorySegment;

/**
 * The host's loads and stores, through the host stage-2.
 *
 * <p>Kernel counterpart: an EL1 access translated by the host stage-2 that {@code
 * __pkvm_prot_finalize} installs. A DRAM page whose host state is {@code OWNED}, {@code SHARED_OWNED}
 * or {@code SHARED_BORROWED} is mapped (pKVM idmaps it lazily; the model treats the idmap as always
 * present, so the fast path is one metadata read); any other DRAM page traps to EL2 ({@link
 * El2Vector#hostMemAbort}), which either fixes the mapping (the access is retried) or injects an
 * abort, raised here as {@link Stage2Fault}. A mapped page whose permissions a module restricted
 * ({@code host_stage2_mod_prot}) takes a <em>permission</em> fault for a forbidden access ({@link
 * El2Vector#hostPermFault}): if an EL2 handler claims it the access is retried once and, if the page
 * still forbids it, taken as emulated by the handler (a store is dropped, a load reads 0); if none
 * claims it the abort is injected, a {@link Stage2Fault} naming owner HOST. Addresses below DRAM are the MMIO window: the UART at
 * {@link Machine#UART_PA}, everything else reads as zero and ignores writes (RAZ/WI). Accesses are
 * naturally aligned; a misaligned one is refused with {@link IllegalArgumentException} rather than
 * modelled (it could straddle two pages and two translations).
 *
 * <p>The stage-2 check and the access are two steps, so {@link Dram}'s TLB model spans both: a store
 * is counted in flight across them and a transition that takes write access away waits it out; a
 * load rereads the page's load sequence after it read the contents and retries if a transition took
 * read access away meanwhile. So no access that passed the old check takes effect after the
 * transition, as a {@code TLBI} + {@code DSB} guarantees. An access never holds a count while it
 * traps to EL2.
 */
public final class HostMemory {
    private final Machine machine;
    private final Dram dram;
    private final long size;
    // Dram's per-chunk arrays, held here so the fast path starts one load nearer the page.
    private final long[][] metas;
    private final MemorySegment[] datas;
    private final int[][] tlbs;

    HostMemory(Machine machine, Dram dram) {
        this.machine = machine;
        this.dram = dram;
        this.size = dram.size();
        this.metas = dram.metas();
        this.datas = dram.datas();
        this.tlbs = dram.tlbs();
    }

    /**
     * Loads 8 bytes (little-endian) from {@code pa}, which must be 8-byte aligned.
     *
     * @throws Stage2Fault if the host may not read the page and EL2 injects an abort
     */
    public long load64(long pa) {
        long off = pa - Dram.BASE;
        if (Long.compareUnsigned(off, size) < 0 && (pa & 7) == 0) {
            int chunk = (int) (off >>> Dram.CHUNK_SHIFT);
            MemorySegment d = Dram.dataOrNull(datas, chunk);
            if (d != null) {
                int[] tlb = Dram.tlbOf(tlbs, chunk);
                int i = pageInChunk(off);
                int seq = Dram.loadSeq(tlb, i);
                if (HypPage.hostReadable(Dram.wordForAccess(metas, chunk, i))) {
                    long v = d.get(Dram.LONG, off & Dram.CHUNK_MASK);
                    if (Dram.loadSeqUnchanged(tlb, i, seq)) {
                        return v;
                    }
                }
            }
        }
        return slowLoad(pa, 8);
    }

    /**
     * Stores 8 bytes (little-endian) at {@code pa}, which must be 8-byte aligned.
     *
     * @throws Stage2Fault if the host may not write the page and EL2 injects an abort
     */
    public void store64(long pa, long value) {
        long off = pa - Dram.BASE;
        if (Long.compareUnsigned(off, size) < 0 && (pa & 7) == 0) {
            int chunk = (int) (off >>> Dram.CHUNK_SHIFT);
            MemorySegment d = Dram.dataOrNull(datas, chunk);
            if (d != null) {
                int[] tlb = Dram.tlbOf(tlbs, chunk);
                int i = pageInChunk(off);
                Dram.beginStore(tlb, i);
                if (HypPage.hostWritable(Dram.wordForAccess(metas, chunk, i))) {
                    d.set(Dram.LONG, off & Dram.CHUNK_MASK, value);
                    Dram.endStore(tlb, i);
                    return;
                }
                Dram.endStore(tlb, i);
            }
        }
        slowStore(pa, 8, value);
    }

    /**
     * Loads one byte from {@code pa}.
     *
     * @throws Stage2Fault if the host may not read the page and EL2 injects an abort
     */
    public byte load8(long pa) {
        return (byte) slowLoad(pa, 1);
    }

    /**
     * Stores one byte at {@code pa}.
     *
     * @throws Stage2Fault if the host may not write the page and EL2 injects an abort
     */
    public void store8(long pa, byte value) {
        slowStore(pa, 1, value);
    }

    /**
     * Whether a host access to {@code pa} would pass the host stage-2 now, without trapping: for a
     * diagnostic or a test; the hardware has no such query.
     */
    public boolean isAccessible(long pa) {
        if (!dram.isMemory(pa)) {
            return !machine.isHypMmio(pa >>> Dram.PAGE_SHIFT);
        }
        return HypPage.hostAccessible(dram.word((pa - Dram.BASE) >>> Dram.PAGE_SHIFT));
    }

    private long slowLoad(long pa, int width) {
        checkAccess(pa, width);
        if (!dram.isMemory(pa)) {
            while (machine.isHypMmio(pa >>> Dram.PAGE_SHIFT)) {
                machine.hostMemAbort(pa, false); // EL2 owns these registers: it injects the abort
            }
            return machine.mmioLoad(pa, width);
        }
        long off = pa - Dram.BASE;
        int chunk = (int) (off >>> Dram.CHUNK_SHIFT);
        int index = pageInChunk(off);
        boolean claimed = false;
        while (true) {
            long w = Dram.word(Dram.metaOrNull(metas, chunk), index);
            if (HypPage.hostReadable(w)) {
                // Contents (and counters) only now: a faulting access commits no chunk.
                MemorySegment d = dram.data(chunk);
                int[] tlb = Dram.tlbOf(tlbs, chunk);
                int seq = Dram.loadSeq(tlb, index);
                if (HypPage.hostReadable(Dram.wordForAccess(metas, chunk, index))) {
                    long v = width == 8 ? d.get(Dram.LONG, off & Dram.CHUNK_MASK) : d.get(Dram.BYTE, off & Dram.CHUNK_MASK);
                    if (Dram.loadSeqUnchanged(tlb, index, seq)) {
                        return v;
                    }
                }
                continue; // the page changed between the looks: translate again
            }
            if (claimed) {
                return 0; // emulated by the handler: the load is skipped
            }
            if (HypPage.hostAccessible(w)) {
                // A permission fault: EL2's handlers claimed it (else hostPermFault threw); retried once.
                machine.hostPermFault(pa, false);
                claimed = true;
                continue;
            }
            machine.hostMemAbort(pa, false);
        }
    }

    private void slowStore(long pa, int width, long value) {
        checkAccess(pa, width);
        if (!dram.isMemory(pa)) {
            while (machine.isHypMmio(pa >>> Dram.PAGE_SHIFT)) {
                machine.hostMemAbort(pa, true); // EL2 owns these registers: it injects the abort
            }
            machine.mmioStore(pa, width, value);
            return;
        }
        long off = pa - Dram.BASE;
        int chunk = (int) (off >>> Dram.CHUNK_SHIFT);
        int index = pageInChunk(off);
        boolean claimed = false;
        while (true) {
            long w = Dram.word(Dram.metaOrNull(metas, chunk), index);
            if (HypPage.hostWritable(w)) {
                MemorySegment d = dram.data(chunk);
                int[] tlb = Dram.tlbOf(tlbs, chunk);
                Dram.beginStore(tlb, index);
                if (HypPage.hostWritable(Dram.wordForAccess(metas, chunk, index))) {
                    write(d, off, width, value);
                    Dram.endStore(tlb, index);
                    return;
                }
                Dram.endStore(tlb, index);
                continue; // the page changed between the looks: translate again
            }
            if (claimed) {
                return; // emulated by the handler: the store is skipped
            }
            if (HypPage.hostAccessible(w)) {
                // A permission fault: EL2's handlers claimed it (else hostPermFault threw); retried once.
                machine.hostPermFault(pa, true);
                claimed = true;
                continue;
            }
            machine.hostMemAbort(pa, true);
        }
    }

    /** The page's index in its 2 MiB chunk, from its DRAM offset. */
    private static int pageInChunk(long off) {
        return (int) (off >>> Dram.PAGE_SHIFT) & (Dram.PAGES_PER_CHUNK - 1);
    }

    private static void write(MemorySegment d, long off, int width, long value) {
        if (width == 8) {
            d.set(Dram.LONG, off & Dram.CHUNK_MASK, value);
        } else {
            d.set(Dram.BYTE, off & Dram.CHUNK_MASK, (byte) value);
        }
    }

    private static void checkAccess(long pa, int width) {
        if ((pa & (width - 1)) != 0) {
            throw new IllegalArgumentException("misaligned %d-byte access at PA 0x%x".formatted(width, pa));
        }
        if (pa < 0 || pa >= 1L << Dram.PA_BITS) {
            throw new IllegalArgumentException("PA 0x%x is outside the %d-bit physical address space".formatted(pa, Dram.PA_BITS));
        }
    }
}
