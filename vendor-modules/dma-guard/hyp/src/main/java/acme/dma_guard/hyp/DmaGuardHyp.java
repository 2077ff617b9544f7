package acme.dma_guard.hyp;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.HypSpinLock;
import org.pkvm4j.api.el2.IotlbGather;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The EL2 side of dma_guard, an IOMMU driver: at init it takes the SMMU's registers from the host
 * ({@code host_donate_hyp} with {@code accept_mmio}), so the host can never reprogram it, and
 * registers it with the hypervisor. It then builds, in pages from the hypervisor's IOMMU pool, the
 * stream table and the page tables of one guarded device, into which it maps only host pages the host
 * asks for, each with a DMA reference ({@code pkvm_use_dma}): a page of the hypervisor or of a guest
 * is refused, and a mapped page cannot change owner until it is unmapped, the IOTLB invalidated and
 * the reference dropped. Another stream may be put on the host idmap domain ({@code
 * iommu_snapshot_host_stage2}): that device sees memory exactly as the host's CPUs do. Each handler
 * answers SUCCESS in x0 and its result or a negative errno in x1.
 */
public final class DmaGuardHyp {
    // The SMMU, as the driver's header knows it (the machine's layout: docs/adr/0015-iommu-model.md).
    static final long SMMU_PA = 0x0905_0000L;
    static final long CR0 = 0x20;
    static final long STRTAB_BASE = 0x80;
    static final long CMD_TLBI = 0x90;
    static final int NR_STREAMS = 512;
    static final long VALID = 1;
    static final long PTE_R = 1L << 6;
    static final long PTE_W = 1L << 7;
    static final long ADDR_MASK = ((1L << 48) - 1) & ~0xFFFL;
    static final int IOVA_BITS = 39;
    /** Register page of the DMA engine of stream 0; stream s's is s pages above. */
    static final long DEVICE_REGS = 0x0A00_0000L;
    static final long PAGE = 4096;

    // Module-global EL2 state, as a C module's static data; guarded by lock.
    private static ModuleOps ops;
    private static HypSpinLock lock;
    private static long regs;
    private static long strtab;
    private static int stream = -1;
    private static long root;
    private static long idmapRoot;
    private static long mapped;
    private static long resets;

    private DmaGuardHyp() {
    }

    /** Takes the SMMU from the host and registers it: from now on only EL2 programs it. */
    @El2Symbol("dma_guard_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        lock = ops.newSpinLock();
        ops.hostDonateHyp(SMMU_PA >>> 12, 1, true);
        ops.iommuInitDevice(SMMU_PA);
        regs = ops.createPrivateMapping(SMMU_PA, PAGE, Prot.RW);
        ops.puts("dma_guard: EL2 owns the SMMU at 0x" + Long.toHexString(SMMU_PA));
    }

    /**
     * attach(x1 = stream id): guards that stream: its own empty tables, the SMMU enabled, its reset
     * registered. x1 = 0; -EINVAL for a bad stream; -EBUSY if another stream is guarded; -ENOMEM when
     * the IOMMU pool is empty (the host refills it and retries). Re-attaching the guarded stream after
     * a reset re-installs its entry.
     */
    @El2Symbol("dma_guard_attach")
    public static void attach(UserPtRegs r) {
        long sid = r.get(1);
        lock.lock();
        try {
            answer(r, attach(sid), 0);
        } finally {
            lock.unlock();
        }
    }

    private static long attach(long sid) {
        if (sid < 0 || sid >= NR_STREAMS) {
            return Errno.EINVAL.negated();
        }
        if (stream >= 0 && stream != sid) {
            return Errno.EBUSY.negated();
        }
        if (!ensureStreamTable()) {
            return Errno.ENOMEM.negated();
        }
        if (stream < 0) {
            root = ops.iommuDonatePages(0, true);
            if (root == 0) {
                return Errno.ENOMEM.negated();
            }
            try {
                ops.deviceRegisterReset(DEVICE_REGS + sid * PAGE, sid, DmaGuardHyp::reset);
            } catch (PkvmException e) {
                ops.iommuReclaimPages(root, 0);
                return e.errno().negated();
            }
            stream = (int) sid;
        }
        ops.store64(strtab + 8 * sid, ops.hypPa(root) | VALID);
        tlbi(sid);
        return 0;
    }

    /**
     * map(x1 = IOVA, x2 = pfn, x3 = writable): maps one host page for the guarded device. x1 = 0;
     * -ENODEV if no stream is guarded; -EINVAL for an unaligned or too large IOVA; -EEXIST if the IOVA
     * is mapped; -ENOMEM when the pool is empty; -EPERM if the page is not the host's to give (EL2's,
     * a guest's, shared or restricted).
     */
    @El2Symbol("dma_guard_map")
    public static void map(UserPtRegs r) {
        long iova = r.get(1);
        long pfn = r.get(2);
        boolean writable = r.get(3) != 0;
        lock.lock();
        try {
            answer(r, map(iova, pfn, writable), 0);
        } finally {
            lock.unlock();
        }
    }

    private static long map(long iova, long pfn, boolean writable) {
        if (stream < 0) {
            return Errno.ENODEV.negated();
        }
        if ((iova & (PAGE - 1)) != 0 || iova < 0 || iova >>> IOVA_BITS != 0 || pfn < 0 || pfn >= 1L << 36) {
            return Errno.EINVAL.negated();
        }
        long slot = leafSlot(iova, true);
        if (slot == 0) {
            return Errno.ENOMEM.negated();
        }
        if ((ops.load64(slot) & VALID) != 0) {
            return Errno.EEXIST.negated();
        }
        long pa = pfn << 12;
        try {
            ops.pkvmUseDma(pa, PAGE); // refuses a page that is not the host's; pins it as DMA memory
        } catch (PkvmException e) {
            return e.errno().negated();
        }
        ops.store64(slot, pa | VALID | PTE_R | (writable ? PTE_W : 0));
        mapped++;
        return 0;
    }

    /**
     * unmap(x1 = IOVA): removes the mapping, invalidates the IOTLB, then drops the page's DMA
     * reference (only then may it change owner). x1 = 0; -ENOENT if nothing is mapped there.
     */
    @El2Symbol("dma_guard_unmap")
    public static void unmap(UserPtRegs r) {
        long iova = r.get(1);
        lock.lock();
        try {
            answer(r, unmap(iova), 0);
        } finally {
            lock.unlock();
        }
    }

    private static long unmap(long iova) {
        if (stream < 0 || (iova & (PAGE - 1)) != 0 || iova < 0 || iova >>> IOVA_BITS != 0) {
            return Errno.ENOENT.negated();
        }
        long slot = leafSlot(iova, false);
        long pte = slot == 0 ? 0 : ops.load64(slot);
        if ((pte & VALID) == 0) {
            return Errno.ENOENT.negated();
        }
        ops.store64(slot, 0);
        IotlbGather gather = ops.iommuIotlbGatherAddPage(DmaGuardHyp::sync, IotlbGather.empty(), iova, PAGE);
        sync(gather); // the last gather: nothing more is unmapped in this call
        ops.pkvmUnuseDma(pte & ADDR_MASK, PAGE); // android16-6.12 has no iommu_flush_unmap_cache (a 6.6 slot)
        mapped--;
        return 0;
    }

    /**
     * idmap(x1 = stream id): puts another device on the host idmap domain (made on first use, from
     * the atomic pool): it sees what the host may access, and loses each page the host gives away.
     * x1 = 0; -EINVAL for a bad stream or the guarded one; -ENOMEM when the atomic pool is short.
     */
    @El2Symbol("dma_guard_idmap")
    public static void idmap(UserPtRegs r) {
        long sid = r.get(1);
        lock.lock();
        try {
            answer(r, idmap(sid), 0);
        } finally {
            lock.unlock();
        }
    }

    private static long idmap(long sid) {
        if (sid < 0 || sid >= NR_STREAMS || sid == stream) {
            return Errno.EINVAL.negated();
        }
        if (!ensureStreamTable()) {
            return Errno.ENOMEM.negated();
        }
        if (idmapRoot == 0) {
            long page = ops.iommuDonatePagesAtomic(0);
            if (page == 0) {
                return Errno.ENOMEM.negated();
            }
            try {
                ops.iommuSnapshotHostStage2(page);
            } catch (PkvmException e) {
                ops.iommuReclaimPagesAtomic(page, 0);
                return e.errno().negated();
            }
            idmapRoot = page;
        }
        ops.store64(strtab + 8 * sid, ops.hypPa(idmapRoot) | VALID);
        tlbi(sid);
        return 0;
    }

    /** stats(): x1 = device resets seen, x2 = pages mapped for the guarded device. */
    @El2Symbol("dma_guard_stats")
    public static void stats(UserPtRegs r) {
        lock.lock();
        try {
            answer(r, resets, mapped);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The guarded device's reset, as it goes to a guest or comes back: its stream entry is cleared
     * (the device does no DMA until the host attaches it again), so nothing the previous owner set up
     * reaches the next one. Runs under the hypervisor's device lock, not this module's.
     */
    static int reset(long cookie, boolean hostToGuest) {
        ops.store64(strtab + 8 * cookie, 0);
        tlbi(cookie);
        resets++;
        ops.puts("dma_guard: stream " + cookie + " reset, " + (hostToGuest ? "host to guest" : "guest to host"));
        return 0;
    }

    /** The IOMMU's invalidation of a gathered range: this driver invalidates the whole stream. */
    private static void sync(IotlbGather gather) {
        if (!gather.isEmpty()) {
            tlbi(stream);
        }
    }

    private static void tlbi(long sid) {
        ops.store64(regs + CMD_TLBI, sid);
    }

    /** The stream table, and the SMMU enabled on it, made on first use; false if the pool is empty. */
    private static boolean ensureStreamTable() {
        if (strtab != 0) {
            return true;
        }
        long page = ops.iommuDonatePages(0, true);
        if (page == 0) {
            return false;
        }
        strtab = page;
        ops.store64(regs + STRTAB_BASE, ops.hypPa(strtab));
        ops.store64(regs + CR0, 1);
        return true;
    }

    /** The hyp VA of the level-3 entry of {@code iova}; 0 if a table is missing and not {@code create}, or the pool is empty. */
    private static long leafSlot(long iova, boolean create) {
        long table = root;
        for (int shift = 30; shift >= 21; shift -= 9) {
            long slot = table + 8 * ((iova >>> shift) & 511);
            long desc = ops.load64(slot);
            if ((desc & VALID) == 0) {
                if (!create) {
                    return 0;
                }
                long next = ops.iommuDonatePages(0, true);
                if (next == 0) {
                    return 0;
                }
                desc = ops.hypPa(next) | VALID;
                ops.store64(slot, desc);
            }
            table = ops.hypVa(desc & ADDR_MASK);
        }
        return table + 8 * ((iova >>> 12) & 511);
    }

    private static void answer(UserPtRegs r, long x1, long x2) {
        r.set(0, Smccc.RET_SUCCESS);
        r.set(1, x1);
        r.set(2, x2);
    }
}
