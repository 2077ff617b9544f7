package org.pkvm4j.machine;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The hypervisor's view of physical memory: the page metadata it alone may write, and unchecked
 * access to DRAM contents.
 *
 * <p>Kernel counterpart: the hyp vmemmap ({@code hyp_vmemmap}, {@code struct hyp_page}) and the host
 * stage-2 page table ({@code host_mmu.pgt}), both EL2-private memory, plus the hypervisor's linear
 * map of DRAM. Obtained from {@link HypPlatform#memory()}, so only the holder of the platform (the
 * hypervisor) can change what the host may access. This class enforces no transition rule: {@code
 * mem_protect.c}'s checks and locks are the hypervisor's; the machine only stores the words and
 * makes each write visible to the host's checked path at once.
 */
public final class HypMemory {
    private final Dram dram;
    private final Machine machine;

    HypMemory(Dram dram, Machine machine) {
        this.dram = dram;
        this.machine = machine;
    }

    /** The geometry of DRAM. */
    public Dram dram() {
        return dram;
    }

    /**
     * The metadata word of DRAM page {@code pfn} (see {@link HypPage} for its fields).
     *
     * @throws IndexOutOfBoundsException if {@code pfn} is not DRAM (the vmemmap covers memory only)
     */
    public long pageWord(long pfn) {
        return dram.word(pageIndex(pfn));
    }

    /**
     * Writes the metadata word of DRAM page {@code pfn}: the host's checked path sees it on its next
     * access. The kernel's {@code __host_set_page_state_range}, {@code __hyp_set_page_state_range},
     * {@code host_stage2_set_owner_locked} and the refcount updates all end here.
     *
     * @throws IndexOutOfBoundsException if {@code pfn} is not DRAM
     */
    public void setPageWord(long pfn, long word) {
        dram.setWord(pageIndex(pfn), word);
    }

    /** Loads 8 bytes (little-endian) from DRAM at {@code pa}, 8-byte aligned, whoever owns the page. */
    public long load64(long pa) {
        long off = offset(pa, 8);
        MemorySegment d = dram.dataOrNull((int) (off >>> Dram.CHUNK_SHIFT));
        return d == null ? 0 : d.get(Dram.LONG, off & Dram.CHUNK_MASK);
    }

    /** Stores 8 bytes (little-endian) to DRAM at {@code pa}, 8-byte aligned, whoever owns the page. */
    public void store64(long pa, long value) {
        long off = offset(pa, 8);
        dram.data((int) (off >>> Dram.CHUNK_SHIFT)).set(Dram.LONG, off & Dram.CHUNK_MASK, value);
    }

    /** Loads one byte from DRAM at {@code pa}. */
    public byte load8(long pa) {
        long off = offset(pa, 1);
        MemorySegment d = dram.dataOrNull((int) (off >>> Dram.CHUNK_SHIFT));
        return d == null ? 0 : d.get(Dram.BYTE, off & Dram.CHUNK_MASK);
    }

    /** Stores one byte to DRAM at {@code pa}. */
    public void store8(long pa, byte value) {
        long off = offset(pa, 1);
        dram.data((int) (off >>> Dram.CHUNK_SHIFT)).set(Dram.BYTE, off & Dram.CHUNK_MASK, value);
    }

    /**
     * An EL2 load of {@code width} bytes (1, 2, 4 or 8) from device memory at {@code pa}, outside
     * DRAM: the UART's registers, else reads as zero (RAZ), as a host access to the MMIO window.
     *
     * @throws IllegalArgumentException if {@code pa} is DRAM, misaligned or {@code width} is not a
     *     power of two up to 8
     */
    public long mmioLoad(long pa, int width) {
        checkMmio(pa, width);
        return machine.mmioLoad(pa, width);
    }

    /**
     * An EL2 store of {@code width} bytes to device memory at {@code pa}: a byte to the UART's data
     * register ({@code UARTDR}) transmits it, other addresses ignore the write (WI).
     *
     * @throws IllegalArgumentException as {@link #mmioLoad}
     */
    public void mmioStore(long pa, int width, long value) {
        checkMmio(pa, width);
        machine.mmioStore(pa, width, value);
    }

    /**
     * Records who owns MMIO page {@code pfn} (which has no metadata word): {@code hyp} after the host
     * donated it ({@code host_donate_hyp} with {@code accept_mmio}), so a host access faults; the host
     * again otherwise.
     */
    public void setMmioOwnedByHyp(long pfn, boolean hyp) {
        if (dram.isMemoryPfn(pfn)) {
            throw new IllegalArgumentException("pfn 0x%x is DRAM, not MMIO".formatted(pfn));
        }
        machine.setHypMmio(pfn, hyp);
    }

    /** Whether the host donated MMIO page {@code pfn} to EL2. */
    public boolean isMmioOwnedByHyp(long pfn) {
        return machine.isHypMmio(pfn);
    }

    /**
     * Zeroes {@code nrPages} pages from {@code pfn} ({@code memset(hyp_va, 0, size)} as the
     * hypervisor does before handing a guest-private page back). Chunks never touched are already
     * zero and stay uncommitted.
     */
    public void zeroPages(long pfn, long nrPages) {
        Objects.checkFromIndexSize(pageIndex(pfn), nrPages, dram.nrPages());
        long off = pageIndex(pfn) << Dram.PAGE_SHIFT;
        long endOff = off + (nrPages << Dram.PAGE_SHIFT);
        while (off < endOff) {
            long chunkEnd = Math.min(endOff, (off | Dram.CHUNK_MASK) + 1);
            MemorySegment d = dram.dataOrNull((int) (off >>> Dram.CHUNK_SHIFT));
            if (d != null) {
                d.asSlice(off & Dram.CHUNK_MASK, chunkEnd - off).fill((byte) 0);
            }
            off = chunkEnd;
        }
    }

    private void checkMmio(long pa, int width) {
        if (width != 1 && width != 2 && width != 4 && width != 8) {
            throw new IllegalArgumentException("MMIO access of %d bytes".formatted(width));
        }
        if ((pa & (width - 1)) != 0 || pa < 0 || pa >= 1L << Dram.PA_BITS || dram.isMemory(pa)) {
            throw new IllegalArgumentException("not a device access: %d bytes at PA 0x%x".formatted(width, pa));
        }
    }

    private long pageIndex(long pfn) {
        return Objects.checkIndex(pfn - dram.basePfn(), dram.nrPages());
    }

    private long offset(long pa, int width) {
        if ((pa & (width - 1)) != 0) {
            throw new IllegalArgumentException("misaligned %d-byte access at PA 0x%x".formatted(width, pa));
        }
        return Objects.checkIndex(pa - Dram.BASE, dram.size());
    }
}
