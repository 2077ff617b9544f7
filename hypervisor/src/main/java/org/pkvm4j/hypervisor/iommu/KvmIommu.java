package org.pkvm4j.hypervisor.iommu;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.el2.IotlbGather;
import org.pkvm4j.api.el2.IotlbSync;
import org.pkvm4j.hypervisor.mem.HypSpinLock;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypMemory;
import org.pkvm4j.machine.PageState;
import org.pkvm4j.machine.Smmu;

/**
 * The hypervisor's IOMMU layer, what IOMMU drivers in vendor modules build on: two page pools
 * (refilled by the host), the IOMMU instances drivers registered, the host idmap domain that mirrors
 * the host stage-2, and the IOTLB gather.
 *
 * <p>Kernel counterpart: {@code arch/arm64/kvm/hyp/nvhe/iommu/iommu.c} (android16-6.12): {@code
 * kvm_iommu_donate_pages[_atomic]}, {@code kvm_iommu_reclaim_pages[_atomic]}, {@code
 * kvm_iommu_refill}, {@code kvm_iommu_init_device}, {@code kvm_iommu_snapshot_host_stage2}, {@code
 * kvm_iommu_host_stage2_idmap[_complete]}, {@code kvm_iommu_iotlb_gather_add_page}, {@code
 * kvm_iommu_flush_unmap_cache}. The kernel's idmap domain is written by the driver's {@code
 * host_stage2_idmap} callback; here the table format is the machine's ({@link Smmu}), so this class
 * writes the domain itself, into tables taken from the atomic pool.
 */
public final class KvmIommu {
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int EPERM = -Errno.EPERM.code();
    private static final int EBUSY = -Errno.EBUSY.code();
    private static final int ENOMEM = -Errno.ENOMEM.code();
    private static final long PAGE_SIZE = 1L << Dram.PAGE_SHIFT;

    private final MemProtect memProtect;
    private final HypMemory mem;
    private final Consumer<String> warn;
    private final HypSpinLock lock = new HypSpinLock();
    private final IommuPool hostPool = new IommuPool();
    private final IommuPool atomicPool = new IommuPool();
    private final List<Long> iommus = new ArrayList<>();
    private volatile long[] iommuRegs = new long[0];
    private volatile long idmapRoot = -1;

    /** The layer over {@code memProtect}'s memory; {@code warn} prints the kernel's {@code WARN}s. */
    public KvmIommu(MemProtect memProtect, HypMemory mem, Consumer<String> warn) {
        this.memProtect = memProtect;
        this.mem = mem;
        this.warn = warn;
    }

    // ---------------------------------------------------------------- pools

    /**
     * {@code kvm_iommu_refill}: the host donates {@code nrPages} pages from {@code pfn} to EL2 for the
     * atomic pool ({@code atomic}) or the host pool.
     *
     * @return 0 or the donation's errno; the pages requested since the last refill are in {@code out[0]}
     */
    public int refill(long pfn, long nrPages, boolean atomic, long[] out) {
        int ret = memProtect.hostDonateHyp(pfn, nrPages);
        lock.lock();
        try {
            IommuPool pool = atomic ? atomicPool : hostPool;
            if (ret == 0) {
                for (long i = 0; i < nrPages; i++) {
                    pool.add(pfn + i);
                }
            }
            out[0] = pool.takeRequested();
        } finally {
            lock.unlock();
        }
        return ret;
    }

    /**
     * {@code kvm_iommu_donate_pages(order, request)} / {@code _atomic(order)}: {@code 2^order} zeroed
     * pages, naturally aligned, hyp-owned and mapped at EL2.
     *
     * @return their hyp VA, or 0 if the pool has no such block (with {@code request}, the host is asked
     *     for them: the next refill reports them)
     */
    public long donatePages(int order, boolean request, boolean atomic) {
        if (order < 0 || order > MemProtect.SGLIST_MAX_ORDER) {
            return 0;
        }
        long pfn;
        lock.lock();
        try {
            IommuPool pool = atomic ? atomicPool : hostPool;
            pfn = pool.alloc(order);
            if (pfn < 0) {
                if (request && !atomic) {
                    pool.request(1L << order);
                }
                return 0;
            }
        } finally {
            lock.unlock();
        }
        mem.zeroPages(pfn, 1L << order);
        return pfn << Dram.PAGE_SHIFT; // hyp VA = PA in the linear map
    }

    /**
     * {@code kvm_iommu_reclaim_pages(p, order)} / {@code _atomic}: gives a block back to its pool.
     *
     * @throws IllegalStateException if {@code va} is not a block of that pool of at least that order
     *     (the kernel's {@code BUG_ON}): a hyp panic
     */
    public void reclaimPages(long va, int order, boolean atomic) {
        lock.lock();
        try {
            if ((va & (PAGE_SIZE - 1)) != 0 || !(atomic ? atomicPool : hostPool).free(va >>> Dram.PAGE_SHIFT, order)) {
                throw new IllegalStateException("BUG: iommu_reclaim_pages of 0x%x order %d: not a block of the %s pool"
                        .formatted(va, order, atomic ? "atomic" : "host"));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Free pages in the host pool and in the atomic pool. */
    public int[] nrFree() {
        lock.lock();
        try {
            return new int[] {hostPool.nrFree(), atomicPool.nrFree()};
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- instances

    /**
     * {@code kvm_iommu_init_device(iommu)}: registers the IOMMU whose registers are at {@code phys}.
     * The driver must own them (the host donated them with {@code accept_mmio}); from now on every
     * change of the host idmap domain invalidates this IOMMU's TLB.
     *
     * @return 0; -EINVAL for an address that is not a page of MMIO; -EPERM if EL2 does not own it;
     *     -EBUSY if it is registered already
     */
    public int initDevice(long phys) {
        long pfn = phys >>> Dram.PAGE_SHIFT;
        if (phys < 0 || (phys & (PAGE_SIZE - 1)) != 0 || mem.dram().isMemoryPfn(pfn)) {
            return EINVAL;
        }
        if (!mem.isMmioOwnedByHyp(pfn)) {
            return EPERM;
        }
        lock.lock();
        try {
            if (iommus.contains(phys)) {
                return EBUSY;
            }
            iommus.add(phys);
            iommuRegs = iommus.stream().mapToLong(Long::longValue).toArray();
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** The register pages of the IOMMUs drivers registered, in order. */
    public List<Long> devices() {
        return List.of(java.util.Arrays.stream(iommuRegs).boxed().toArray(Long[]::new));
    }

    // ---------------------------------------------------------------- the host idmap domain

    /**
     * {@code kvm_iommu_snapshot_host_stage2(domain)}: makes the level-1 table at hyp VA {@code rootVa}
     * (a zeroed page a driver took from {@link #donatePages}) an identity map of every page the host
     * may access now, RW, and keeps it so: every later host stage-2 change (a donation, a guest's
     * page, {@code host_stage2_mod_prot} with {@code update_iommu}) reaches it in the same critical
     * section, then the registered IOMMUs' TLBs are invalidated. Its level-2 and level-3 tables, for
     * all of DRAM, come from the atomic pool. A device whose stream entry points at it sees memory as
     * the host's CPUs do. MMIO is not mapped (the model's devices do DMA to DRAM only).
     *
     * @return 0; -EINVAL if {@code rootVa} is not a page EL2 owns; -EBUSY if a snapshot exists;
     *     -ENOMEM if the atomic pool lacks the table pages (nothing is kept)
     */
    public int snapshotHostStage2(long rootVa) {
        long rootPfn = rootVa >>> Dram.PAGE_SHIFT;
        if ((rootVa & (PAGE_SIZE - 1)) != 0 || !mem.dram().isMemoryPfn(rootPfn) || memProtect.hypState(rootPfn) != PageState.OWNED) {
            return EINVAL;
        }
        List<Long> taken = new ArrayList<>();
        lock.lock();
        try {
            if (idmapRoot >= 0) {
                return EBUSY;
            }
            long first = mem.dram().base();
            long end = mem.dram().end();
            for (long iova = first & -(1L << 30); iova < end; iova += 1L << 30) {
                long l2 = table(rootVa, iova, 30, taken);
                if (l2 < 0) {
                    return undo(taken, rootPfn);
                }
                for (long at = Math.max(iova, first & -(1L << 21)); at < Math.min(end, iova + (1L << 30)); at += 1L << 21) {
                    if (table(l2, at, 21, taken) < 0) {
                        return undo(taken, rootPfn);
                    }
                }
            }
            idmapRoot = rootVa;
        } finally {
            lock.unlock();
        }
        int ret = memProtect.snapshotHostStage2(this::hostStage2Idmap);
        if (ret != 0) {
            lock.lock();
            try {
                idmapRoot = -1;
                undo(taken, rootPfn);
            } finally {
                lock.unlock();
            }
        }
        return ret;
    }

    /** The hyp VA of the idmap domain's level-1 table, or -1 before a snapshot. */
    public long idmapRoot() {
        return idmapRoot;
    }

    /**
     * {@code kvm_iommu_host_stage2_idmap} + {@code _complete}: the level-3 entries of {@code nrPages}
     * pages from {@code pfn}, then a TLB invalidation of every registered IOMMU. Called under the host
     * lock; the tables exist since the snapshot, so it allocates nothing.
     */
    private void hostStage2Idmap(long pfn, long nrPages, int prot) {
        long root = idmapRoot;
        for (long i = 0; i < nrPages; i++) {
            long pa = (pfn + i) << Dram.PAGE_SHIFT;
            long l2 = mem.load64(root + 8 * ((pa >>> 30) & 511)) & Smmu.ADDR_MASK;
            long l3 = mem.load64(l2 + 8 * ((pa >>> 21) & 511)) & Smmu.ADDR_MASK;
            long pte = prot == 0 ? 0 : pa | Smmu.DESC_VALID
                    | ((prot & Prot.R) != 0 ? Smmu.PTE_R : 0) | ((prot & Prot.W) != 0 ? Smmu.PTE_W : 0);
            mem.store64(l3 + 8 * ((pa >>> 12) & 511), pte);
        }
        for (long regs : iommuRegs) {
            mem.mmioStore(regs + Smmu.CMD_TLBI, 8, -1);
        }
    }

    /** The next-level table {@code table}'s entry for {@code iova} points at, made from the atomic pool if absent; -1 if the pool is empty. */
    private long table(long table, long iova, int shift, List<Long> taken) {
        long slot = table + 8 * ((iova >>> shift) & 511);
        long desc = mem.load64(slot);
        if ((desc & Smmu.DESC_VALID) != 0) {
            return desc & Smmu.ADDR_MASK;
        }
        long pfn = atomicPool.alloc(0);
        if (pfn < 0) {
            return -1;
        }
        taken.add(pfn);
        mem.zeroPages(pfn, 1);
        long next = pfn << Dram.PAGE_SHIFT;
        mem.store64(slot, next | Smmu.DESC_VALID);
        return next;
    }

    /** Gives the tables taken back and clears the root that pointed at them. */
    private int undo(List<Long> taken, long rootPfn) {
        for (long pfn : taken) {
            atomicPool.free(pfn, 0);
        }
        mem.zeroPages(rootPfn, 1);
        return ENOMEM;
    }

    // ---------------------------------------------------------------- unmapping

    /**
     * {@code kvm_iommu_iotlb_gather_add_page(domain, gather, iova, size)}: adds a page to the pending
     * invalidation; if it has another page size or is disjoint from the range, the driver's {@code
     * sync} first invalidates what was gathered, and the gather starts over.
     *
     * @return the gather with the page added
     */
    public static IotlbGather gatherAddPage(IotlbSync sync, IotlbGather gather, long iova, long size) {
        IotlbGather g = gather;
        long end = iova + size - 1;
        boolean disjoint = g.end() != 0 && (Long.compareUnsigned(end + 1, g.start()) < 0 || Long.compareUnsigned(iova, g.end() + 1) > 0);
        if ((g.pgsize() != 0 && g.pgsize() != size) || disjoint) {
            sync.sync(g);
            g = IotlbGather.empty();
        }
        long start = Long.compareUnsigned(g.start(), iova) > 0 ? iova : g.start();
        long last = Long.compareUnsigned(g.end(), end) < 0 ? end : g.end();
        return new IotlbGather(start, last, size);
    }

    /**
     * {@code kvm_iommu_flush_unmap_cache(cache)}: drops the DMA reference of each cached range, last
     * first; a failure is the kernel's {@code WARN_ON}, printed, and the rest still dropped.
     */
    public void flushUnmapCache(long[] paddrs, long[] sizes) {
        for (int i = paddrs.length - 1; i >= 0; i--) {
            int ret = memProtect.unuseDma(paddrs[i], sizes[i]);
            if (ret != 0) {
                warn.accept("WARNING: iommu_flush_unmap_cache: __pkvm_host_unuse_dma(0x%x, 0x%x) = %d"
                        .formatted(paddrs[i], sizes[i], ret));
            }
        }
    }
}
