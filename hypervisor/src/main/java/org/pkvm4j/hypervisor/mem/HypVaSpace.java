package org.pkvm4j.hypervisor.mem;

import java.util.concurrent.locks.ReentrantLock;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypMemory;
import org.pkvm4j.machine.PageState;

/**
 * EL2's virtual address space and every EL2 load and store through it.
 *
 * <p>Kernel counterpart: the hyp VA layout of {@code arch/arm64/kvm/va_layout.c} and {@code
 * nvhe/mm.c}. The 48-bit hyp VA space has two halves: below {@link #LINEAR_END} the linear map of
 * physical memory (the identity in pkvm4j, {@code hyp_va}/{@code hyp_pa}), whose permissions follow
 * each page's hyp state (owned or pinned pages are RW, see {@link MemProtect#isHypMapped}); from
 * {@link #PRIVATE_VA_BASE} the private range ({@code __io_map_base}), whose pages are mapped one by
 * one in a {@link HypPgTable} with their own permissions. The private range starts with the 128 MiB
 * module window ({@code __pkvm_alloc_module_va}); above it {@code pkvm_alloc_private_va_range} hands
 * out VA for the per-CPU fixmap slots ({@code hyp_fixmap_map}) and {@code
 * __pkvm_create_private_mapping}, which the kernel never unmaps (pkvm4j does when the module that
 * made it goes, {@link #removePrivateMapping}).
 *
 * <p>Accesses: a linear-map access costs what it did before this class existed (a metadata read and
 * the DRAM access); a private one adds one table lookup and goes to DRAM or, for a device mapping, to
 * the machine's MMIO window. Where C would take a translation or permission fault at EL2 and panic,
 * these methods refuse the access with {@link PkvmException} {@code EFAULT} and touch nothing; a
 * misaligned word is {@code EINVAL}. Mapping changes take the {@code pkvm_pgd_lock} ({@link #lock});
 * lookups are lock-free.
 */
public final class HypVaSpace {
    /** End of the linear map: hyp VAs below it are physical addresses. */
    public static final long LINEAR_END = 1L << 47;
    /** Start of the private range, and of its module window. */
    public static final long PRIVATE_VA_BASE = LINEAR_END;
    /** Size of the module window: 128 MiB, mirroring the kernel's module area. */
    public static final long MODULE_VA_SIZE = 128L << 20;
    /** End of the private range: the top of the 48-bit hyp VA space. */
    public static final long PRIVATE_VA_END = 1L << 48;

    private static final long PAGE_SIZE = 1L << Dram.PAGE_SHIFT;
    private static final long OFFSET_MASK = PAGE_SIZE - 1;
    /** A fixblock: PMD size. */
    private static final long BLOCK_SIZE = 2L << 20;
    /** Marks a translated address as device memory; PAs stay below bit 48. */
    private static final long DEVICE_PA = 1L << 62;
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int EPERM = -Errno.EPERM.code();
    private static final int ENOMEM = -Errno.ENOMEM.code();
    private static final int EBUSY = -Errno.EBUSY.code();

    private final MemProtect memProtect;
    private final HypMemory mem;
    private final HypPgTable pgt = new HypPgTable();
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] fixmapSlots;
    // Per CPU: its 2 MiB fixblock slot, taken on first use (0: none yet).
    private final long[] fixblockSlots;
    private long moduleNext = PRIVATE_VA_BASE;
    private long privateNext = PRIVATE_VA_BASE + MODULE_VA_SIZE;

    /** The VA space over {@code memProtect}'s memory, with one fixmap slot for each of {@code nrCpus}. */
    public HypVaSpace(MemProtect memProtect, int nrCpus) {
        this.memProtect = memProtect;
        this.mem = memProtect.mem;
        this.fixmapSlots = new long[nrCpus];
        this.fixblockSlots = new long[nrCpus];
        for (int cpu = 0; cpu < nrCpus; cpu++) {
            fixmapSlots[cpu] = allocPrivateVaRange(PAGE_SIZE);
        }
    }

    // ---------------------------------------------------------------- the module window

    /**
     * {@code __pkvm_alloc_module_va(nr_pages)}: reserves {@code nrPages} pages of the module window.
     *
     * @return the VA; -EINVAL for a count that is not positive or larger than the window; -ENOMEM once
     *     the window is exhausted
     */
    public long allocModuleVa(long nrPages) {
        if (nrPages <= 0 || nrPages > MODULE_VA_SIZE / PAGE_SIZE) {
            return EINVAL;
        }
        long size = nrPages << Dram.PAGE_SHIFT;
        lock.lock();
        try {
            if (PRIVATE_VA_BASE + MODULE_VA_SIZE - moduleNext < size) {
                return ENOMEM;
            }
            long va = moduleNext;
            moduleNext += size;
            return va;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code __pkvm_map_module_page(pfn, va, prot, is_protected)}: maps DRAM page {@code pfn} at
     * {@code va}, a reserved page of the module window; unless {@code isProtected} the page is first
     * donated host→hyp (the host loses it), and given back if the mapping fails. pkvm4j checks that a
     * protected page is already the hypervisor's (the kernel trusts its caller).
     *
     * @return 0; -EINVAL for a {@code va} outside the reserved window or misaligned, or a bad {@code
     *     prot} ({@code hyp_set_prot_attr}); -EEXIST if {@code va} is mapped; -EPERM for a protected
     *     page EL2 does not own; the donation's -EINVAL/-EPERM
     */
    public int mapModulePage(long pfn, long va, int prot, boolean isProtected) {
        if ((va & OFFSET_MASK) != 0 || va < PRIVATE_VA_BASE || va >= moduleNext()) {
            return EINVAL; // assert_in_mod_range
        }
        int ret = HypPgTable.checkProt(prot, false);
        if (ret != 0) {
            return ret;
        }
        if (isProtected) {
            if (memProtect.hypState(pfn) != PageState.OWNED) {
                return EPERM;
            }
        } else {
            ret = memProtect.hostDonateHyp(pfn, 1);
            if (ret != 0) {
                return ret;
            }
        }
        lock.lock();
        try {
            ret = pgt.map(va, pfn << Dram.PAGE_SHIFT, 1, prot, false);
        } finally {
            lock.unlock();
        }
        if (ret != 0 && !isProtected && memProtect.hypDonateHost(pfn, 1) != 0) {
            throw new IllegalStateException("BUG: giving back pfn 0x%x after a failed module mapping".formatted(pfn));
        }
        return ret;
    }

    /**
     * {@code __pkvm_unmap_module_page(pfn, va)}: removes the mapping at {@code va} of the module window
     * and, unless {@code isProtected}, donates the page back to the host.
     *
     * @return 0; -EINVAL if nothing is mapped there; the donation's errno (the mapping stays)
     */
    public int unmapModulePage(long va, boolean isProtected) {
        if (va < PRIVATE_VA_BASE || va >= PRIVATE_VA_BASE + MODULE_VA_SIZE) {
            return EINVAL;
        }
        // The lookup, the donation and the unmap under one hold of the lock, so two unmaps of one
        // page cannot both donate it, nor a map slip in between. Lock order: this lock, then the
        // host and hyp locks the donation takes; nothing takes this one under them.
        lock.lock();
        try {
            long leaf = pgt.leaf(va);
            if (leaf == 0) {
                return EINVAL;
            }
            if (!isProtected) {
                int ret = memProtect.hypDonateHost(HypPgTable.pa(leaf) >>> Dram.PAGE_SHIFT, 1);
                if (ret != 0) {
                    return ret;
                }
            }
            pgt.unmap(va);
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code map_module_pages(pfn, va, nr_pages, prot, is_protected)}: {@link #mapModulePage} for each
     * page; all or nothing (a failing page unmaps, and gives back, the ones before it).
     *
     * @return 0; -EINVAL for a count that is not positive or a range overflowing; else the first
     *     failing page's errno
     */
    public int mapModulePages(long pfn, long va, long nrPages, int prot, boolean isProtected) {
        if (nrPages <= 0 || nrPages > MODULE_VA_SIZE / PAGE_SIZE) {
            return EINVAL;
        }
        for (long i = 0; i < nrPages; i++) {
            int ret = mapModulePage(pfn + i, va + (i << Dram.PAGE_SHIFT), prot, isProtected);
            if (ret != 0) {
                while (i-- > 0) {
                    if (unmapModulePage(va + (i << Dram.PAGE_SHIFT), isProtected) != 0) {
                        throw new IllegalStateException("BUG: undoing map_module_pages at 0x%x".formatted(va + (i << Dram.PAGE_SHIFT)));
                    }
                }
                return ret;
            }
        }
        return 0;
    }

    /**
     * {@code unmap_module_pages(pfn, va, nr_pages)}: every page of {@code [va, va + nrPages)} must map
     * {@code pfn + i}; then each is unmapped and donated back to the host.
     *
     * @return 0; -EINVAL if a page is not mapped there from that pfn (nothing changes); the
     *     give-back's errno
     */
    public int unmapModulePages(long pfn, long va, long nrPages) {
        if (nrPages <= 0 || nrPages > MODULE_VA_SIZE / PAGE_SIZE || va < PRIVATE_VA_BASE
                || va + (nrPages << Dram.PAGE_SHIFT) > PRIVATE_VA_BASE + MODULE_VA_SIZE) {
            return EINVAL;
        }
        lock.lock();
        try {
            for (long i = 0; i < nrPages; i++) {
                long leaf = pgt.leaf(va + (i << Dram.PAGE_SHIFT));
                if (leaf == 0 || HypPgTable.pa(leaf) != (pfn + i) << Dram.PAGE_SHIFT) {
                    return EINVAL;
                }
            }
            for (long i = 0; i < nrPages; i++) {
                int ret = unmapModulePage(va + (i << Dram.PAGE_SHIFT), false);
                if (ret != 0) {
                    return ret;
                }
            }
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** The end of the reserved part of the module window; it only grows, so a snapshot stays valid. */
    private long moduleNext() {
        lock.lock();
        try {
            return moduleNext;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- private mappings

    /**
     * {@code __pkvm_create_private_mapping(phys, size, prot, &haddr)}: maps {@code [phys, phys +
     * size)}, memory or device, at fresh private VA, for good; the host's stage-2 is not touched. The
     * range is checked before any VA is taken, so a refused call changes nothing.
     *
     * @return the hyp VA of {@code phys} (the page offset kept); -EINVAL for a size that is not
     *     positive, a range leaving the PA range or straddling memory and MMIO, or a bad {@code prot};
     *     -ENOMEM when the private range is exhausted
     */
    public long createPrivateMapping(long phys, long size, int prot) {
        if (size <= 0 || phys < 0 || phys >= 1L << Dram.PA_BITS || (1L << Dram.PA_BITS) - phys < size) {
            return EINVAL;
        }
        int memory = memProtect.ranges.checkRangeAllowedMemory(phys, phys + size);
        if (memory == EINVAL) {
            return EINVAL;
        }
        boolean device = memory != 0;
        int ret = HypPgTable.checkProt(prot, device);
        if (ret != 0) {
            return ret;
        }
        long start = phys & -PAGE_SIZE;
        long nrPages = ((phys + size + OFFSET_MASK) & -PAGE_SIZE) - start >>> Dram.PAGE_SHIFT;
        lock.lock();
        try {
            long va = allocPrivateVaRange(nrPages << Dram.PAGE_SHIFT);
            if (va < 0) {
                return va;
            }
            ret = pgt.map(va, start, nrPages, prot, device);
            if (ret != 0) {
                throw new IllegalStateException("BUG: fresh private VA 0x%x already mapped".formatted(va));
            }
            return va + (phys & OFFSET_MASK);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code hyp_fixmap_map(phys)}: maps the page holding {@code phys} in {@code cpu}'s fixmap slot,
     * RW (device memory for MMIO).
     *
     * @return the VA of {@code phys} in the slot; -EINVAL for a PA outside the PA range; -EBUSY if the
     *     slot is mapped (pkvm4j refuses what the kernel leaves to its callers)
     */
    public long fixmapMap(int cpu, long phys) {
        if (phys < 0 || phys >= 1L << Dram.PA_BITS) {
            return EINVAL;
        }
        long slot = fixmapSlots[cpu];
        boolean device = !mem.dram().isMemory(phys);
        lock.lock();
        try {
            if (pgt.leaf(slot) != 0) {
                return EBUSY;
            }
            pgt.map(slot, phys & -PAGE_SIZE, 1, Prot.RW, device);
            return slot + (phys & OFFSET_MASK);
        } finally {
            lock.unlock();
        }
    }

    /** {@code hyp_fixmap_unmap()}: empties {@code cpu}'s fixmap slot; an empty slot stays empty. */
    public void fixmapUnmap(int cpu) {
        lock.lock();
        try {
            pgt.unmap(fixmapSlots[cpu]);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Empties {@code cpu}'s fixmap slot if it still maps the page holding {@code phys}: undoes a
     * {@link #fixmapMap} whose caller is gone without its {@link #fixmapUnmap} (a module whose load
     * failed or that was unloaded), and leaves a slot someone mapped since alone.
     *
     * @return whether the slot was emptied
     */
    public boolean fixmapUnmapIfMaps(int cpu, long phys) {
        long slot = fixmapSlots[cpu];
        lock.lock();
        try {
            long leaf = pgt.leaf(slot);
            if (leaf == 0 || HypPgTable.pa(leaf) != (phys & -PAGE_SIZE)) {
                return false;
            }
            pgt.unmap(slot);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the pages of a {@link #createPrivateMapping}{@code (phys, size, prot)} that answered
     * {@code va}: pkvm4j's undo for a module whose load failed or that was unloaded (the kernel has
     * none, its private mappings last for good). The VA is not handed out again (the private range is
     * a bump allocator), so nothing else can be mapped there; pages no longer mapped to {@code phys}'s
     * are left alone.
     */
    public void removePrivateMapping(long va, long phys, long size) {
        long start = phys & -PAGE_SIZE;
        long nrPages = ((phys + size + OFFSET_MASK) & -PAGE_SIZE) - start >>> Dram.PAGE_SHIFT;
        long vaStart = va & -PAGE_SIZE;
        lock.lock();
        try {
            for (long i = 0; i < nrPages; i++) {
                long page = vaStart + (i << Dram.PAGE_SHIFT);
                long leaf = pgt.leaf(page);
                if (leaf != 0 && HypPgTable.pa(leaf) == start + (i << Dram.PAGE_SHIFT)) {
                    pgt.unmap(page);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code hyp_fixblock_map(phys)}: maps the 2 MiB block of memory holding {@code phys} in {@code
     * cpu}'s fixblock slot, RW.
     *
     * @return the VA of {@code phys} in the slot; -EINVAL if the block is not all memory; -EBUSY if the
     *     slot is mapped; -ENOMEM if the private range cannot hold the slot
     */
    public long fixblockMap(int cpu, long phys) {
        long block = phys & -BLOCK_SIZE;
        if (phys < 0 || phys >= 1L << Dram.PA_BITS || memProtect.ranges.checkRangeAllowedMemory(block, block + BLOCK_SIZE) != 0) {
            return EINVAL;
        }
        lock.lock();
        try {
            long slot = fixblockSlots[cpu];
            if (slot == 0) {
                privateNext = (privateNext + BLOCK_SIZE - 1) & -BLOCK_SIZE;
                slot = allocPrivateVaRange(BLOCK_SIZE);
                if (slot < 0) {
                    return slot;
                }
                fixblockSlots[cpu] = slot;
            }
            if (pgt.leaf(slot) != 0) {
                return EBUSY;
            }
            pgt.map(slot, block, BLOCK_SIZE >>> Dram.PAGE_SHIFT, Prot.RW, false);
            return slot + (phys - block);
        } finally {
            lock.unlock();
        }
    }

    /** {@code hyp_fixblock_unmap()}: empties {@code cpu}'s fixblock slot (already empty: nothing). */
    public void fixblockUnmap(int cpu) {
        lock.lock();
        try {
            long slot = fixblockSlots[cpu];
            if (slot != 0 && pgt.leaf(slot) != 0) {
                for (long off = 0; off < BLOCK_SIZE; off += PAGE_SIZE) {
                    pgt.unmap(slot + off);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The VA of {@code cpu}'s fixmap slot. */
    public long fixmapSlot(int cpu) {
        return fixmapSlots[cpu];
    }

    /**
     * The {@code kvm_pgtable_prot} bits EL2 maps private VA {@code va} with, 0 if it is not mapped;
     * for the linear map RW if {@link MemProtect#isHypMapped}, else 0.
     */
    public int hypProt(long va) {
        if (va >= 0 && va < LINEAR_END) {
            return memProtect.hypCanAccess(va, 1, true) ? Prot.RW : memProtect.hypCanAccess(va, 1) ? Prot.R : 0;
        }
        long leaf = pgt.leaf(va);
        return leaf == 0 ? 0 : HypPgTable.prot(leaf);
    }

    // ---------------------------------------------------------------- EL2 accesses

    /** An EL2 64-bit load from {@code va}, 8-byte aligned. */
    public long load64(long va) {
        checkAligned(va, 8, "load64");
        if (va < LINEAR_END) {
            if (!memProtect.hypCanAccess(va, 8)) {
                throw fault("load64", va, false);
            }
            return mem.load64(va);
        }
        long pa = translate(va, false, "load64");
        return (pa & DEVICE_PA) != 0 ? mem.mmioLoad(pa & ~DEVICE_PA, 8) : mem.load64(pa);
    }

    /** An EL2 64-bit store to {@code va}, 8-byte aligned. */
    public void store64(long va, long value) {
        checkAligned(va, 8, "store64");
        if (va < LINEAR_END) {
            if (!memProtect.hypCanAccess(va, 8, true)) {
                throw fault("store64", va, true);
            }
            mem.store64(va, value);
            return;
        }
        long pa = translate(va, true, "store64");
        if ((pa & DEVICE_PA) != 0) {
            mem.mmioStore(pa & ~DEVICE_PA, 8, value);
        } else {
            mem.store64(pa, value);
        }
    }

    /** An EL2 byte load from {@code va}. */
    public byte load8(long va) {
        long pa = translate(va, false, "load8");
        return (pa & DEVICE_PA) != 0 ? (byte) mem.mmioLoad(pa & ~DEVICE_PA, 1) : mem.load8(pa);
    }

    /** An EL2 byte store to {@code va} ({@code writeb}). */
    public void store8(long va, byte value) {
        long pa = translate(va, true, "store8");
        if ((pa & DEVICE_PA) != 0) {
            mem.mmioStore(pa & ~DEVICE_PA, 1, value);
        } else {
            mem.store8(pa, value);
        }
    }

    /**
     * The hypervisor's {@code memcpy}: front to back; every page of both ranges is checked first, so a
     * refused copy writes nothing.
     */
    public void memcpy(long dstVa, long srcVa, long size) {
        checkSize(size, "memcpy");
        if (linear(dstVa, size) && linear(srcVa, size)) {
            if (!memProtect.hypCanAccess(dstVa, size, true) || !memProtect.hypCanAccess(srcVa, size)) {
                throw new PkvmException(Errno.EFAULT, "memcpy: [0x%x, +0x%x) or [0x%x, +0x%x) is not mapped at EL2"
                        .formatted(dstVa, size, srcVa, size));
            }
            long i = 0;
            if (((dstVa | srcVa) & 7) == 0) {
                for (; i + 8 <= size; i += 8) {
                    mem.store64(dstVa + i, mem.load64(srcVa + i));
                }
            }
            for (; i < size; i++) {
                mem.store8(dstVa + i, mem.load8(srcVa + i));
            }
            return;
        }
        checkPages(dstVa, size, true, "memcpy");
        checkPages(srcVa, size, false, "memcpy");
        for (long i = 0; i < size; i++) {
            store8(dstVa + i, load8(srcVa + i));
        }
    }

    /**
     * {@code flush_dcache_to_poc}: cleans {@code [va, va + size)} to the point of coherency. The model
     * has no caches, so no byte changes; but {@code DC CVAC} on a VA EL2 cannot read takes a
     * translation or permission fault in C, so the range must be mapped readable at EL2.
     *
     * @throws PkvmException {@code EFAULT} for a page not mapped readable at EL2, {@code EINVAL} for a
     *     negative size
     */
    public void flushDcacheToPoc(long va, long size) {
        checkSize(size, "flush_dcache_to_poc");
        if (linear(va, size)) {
            if (size != 0 && !memProtect.hypCanAccess(va, size)) {
                throw new PkvmException(Errno.EFAULT, "flush_dcache_to_poc: [0x%x, +0x%x) is not mapped at EL2"
                        .formatted(va, size));
            }
            return;
        }
        checkPages(va, size, false, "flush_dcache_to_poc");
    }

    /** The hypervisor's {@code memset}: every page is checked first, so a refused fill writes nothing. */
    public void memset(long va, byte b, long size) {
        checkSize(size, "memset");
        if (linear(va, size)) {
            if (!memProtect.hypCanAccess(va, size, true)) {
                throw new PkvmException(Errno.EFAULT, "memset: [0x%x, +0x%x) is not mapped at EL2".formatted(va, size));
            }
            long i = 0;
            if ((va & 7) == 0) {
                long pattern = (b & 0xFFL) * 0x0101_0101_0101_0101L;
                for (; i + 8 <= size; i += 8) {
                    mem.store64(va + i, pattern);
                }
            }
            for (; i < size; i++) {
                mem.store8(va + i, b);
            }
            return;
        }
        checkPages(va, size, true, "memset");
        for (long i = 0; i < size; i++) {
            store8(va + i, b);
        }
    }

    // ---------------------------------------------------------------- internals

    /** {@code pkvm_alloc_private_va_range}: bump allocation above the module window; -ENOMEM when full. */
    private long allocPrivateVaRange(long size) {
        if (PRIVATE_VA_END - privateNext < size) {
            return ENOMEM;
        }
        long va = privateNext;
        privateNext += size;
        return va;
    }

    /** The PA {@code va} maps for this access ({@link #DEVICE_PA} set for device memory), or EFAULT. */
    private long translate(long va, boolean write, String op) {
        if (va >= 0 && va < LINEAR_END) {
            if (!memProtect.hypCanAccess(va, 1, write)) {
                throw fault(op, va, write);
            }
            return va;
        }
        long leaf = pgt.leaf(va);
        if (leaf == 0 || (write && (leaf & Prot.W) == 0) || (!write && (leaf & Prot.R) == 0)) {
            throw fault(op, va, write);
        }
        long pa = HypPgTable.pa(leaf) | (va & OFFSET_MASK);
        return (leaf & HypPgTable.DEVICE) != 0 ? pa | DEVICE_PA : pa;
    }

    private void checkPages(long va, long size, boolean write, String op) {
        if (size == 0) {
            return;
        }
        if (va + size < va) {
            throw fault(op, va, write);
        }
        for (long page = va & -PAGE_SIZE; page < va + size; page += PAGE_SIZE) {
            translate(Math.max(page, va), write, op);
        }
    }

    private static boolean linear(long va, long size) {
        return va >= 0 && va < LINEAR_END && LINEAR_END - va >= size;
    }

    private PkvmException fault(String op, long va, boolean write) {
        long leaf = va >= LINEAR_END ? pgt.leaf(va) : 0;
        String why = leaf != 0 ? "a %s to a %s mapping".formatted(write ? "write" : "read", protName(HypPgTable.prot(leaf)))
                : "not mapped at EL2";
        return new PkvmException(Errno.EFAULT, "%s: hyp VA 0x%x: %s".formatted(op, va, why));
    }

    private static String protName(int prot) {
        return ((prot & Prot.R) != 0 ? "R" : "-") + ((prot & Prot.W) != 0 ? "W" : "-") + ((prot & Prot.X) != 0 ? "X" : "-");
    }

    private static void checkAligned(long va, int width, String op) {
        if ((va & (width - 1)) != 0) {
            throw new PkvmException(Errno.EINVAL, "%s: misaligned hyp VA 0x%x".formatted(op, va));
        }
    }

    private static void checkSize(long size, String op) {
        if (size < 0) {
            throw new PkvmException(Errno.EINVAL, "%s: negative size %d".formatted(op, size));
        }
    }
}
