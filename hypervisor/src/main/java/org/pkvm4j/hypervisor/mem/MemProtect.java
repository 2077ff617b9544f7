package org.pkvm4j.hypervisor.mem;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.el2.HostStage2Leaf;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypMemory;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;

/**
 * Page ownership between the host and the hypervisor: the transitions, their checks, the locks.
 *
 * <p>Kernel counterpart: {@code arch/arm64/kvm/hyp/nvhe/mem_protect.c} (upstream, after Will
 * Deacon's 2026 series: states in {@code struct hyp_page}; docs/memory.md).
 * Each transition is the kernel function of the same name, with its preconditions checked in the
 * kernel's order (so the first failing check decides the errno), and commits only after every check
 * passed: a failure changes nothing. Results are the kernel's {@code int}: 0 or a negative errno,
 * which is exactly what the hypercall wrappers put in x1 and what the {@code ModuleOps} members will
 * turn into exceptions.
 *
 * <p>Locks: one per component, {@code host_mmu.lock} ({@code host_lock_component}) and {@code
 * pkvm_pgd_lock} ({@code hyp_lock_component}), always taken host then hyp, the order of {@code enum
 * pkvm_component_id}. The host's checked access path reads the host state without a lock; every
 * write here is a release store of a whole metadata word, so it sees either the old or the new word.
 *
 * <p>Addresses: pKVM passes pfns for host-initiated calls and hyp VAs of the linear map for pins;
 * pkvm4j's linear map is the identity, so pins take physical addresses.
 */
public final class MemProtect {
    private static final int EPERM = -Errno.EPERM.code();
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int EBUSY = -Errno.EBUSY.code();
    private static final long PAGE_SIZE = 1L << Dram.PAGE_SHIFT;
    private static final int PROT_RWX = Prot.RWX;

    /** An sglist entry's largest order: {@code get_order(PMD_SIZE)}. */
    public static final int SGLIST_MAX_ORDER = 9;

    final HypMemory mem;
    final MemRanges ranges;
    final HypSpinLock hostLock = new HypSpinLock();
    final HypSpinLock hypLock = new HypSpinLock();
    // Donated pages EL2 maps without W (host_donate_hyp_prot with a read-only prot); cleared on return.
    private final java.util.Set<Long> hypReadOnly = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // linear_map_early: page -> prot mapped in the hyp linear map outside the ownership rules.
    private final java.util.concurrent.ConcurrentHashMap<Long, Integer> earlyLinear = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean registrationClosed;
    // The IOMMU's host idmap domain, once a module snapshotted the host stage-2 into it; written under the host lock.
    private volatile IommuIdmap iommuIdmap;

    /**
     * The IOMMU domain that mirrors the host stage-2 ({@code KVM_IOMMU_DOMAIN_IDMAP_ID}): told of every
     * change of what the host may access, under the host lock.
     *
     * <p>Kernel counterpart: {@code kvm_iommu_host_stage2_idmap(start, end, prot)} followed by {@code
     * kvm_iommu_host_stage2_idmap_complete}.
     */
    public interface IommuIdmap {
        /**
         * Maps {@code nrPages} pages from {@code pfn} at IOVA = PA with {@code prot} (R and W bits of
         * {@link Prot}), or unmaps them for 0, and invalidates the IOTLBs.
         */
        void hostStage2Idmap(long pfn, long nrPages, int prot);
    }

    /** Ownership over the machine memory {@code mem} (from {@code HypPlatform.memory()}). */
    public MemProtect(HypMemory mem) {
        this.mem = mem;
        this.ranges = new MemRanges(mem.dram());
    }

    // ---------------------------------------------------------------- host <-> hyp sharing

    /**
     * {@code __pkvm_host_share_hyp(pfn)}: the host lets EL2 access one of its pages.
     * Pre: host OWNED, hyp NOPAGE. Post: host SHARED_OWNED, hyp SHARED_BORROWED (EL2 maps it only
     * when it pins it).
     *
     * @return 0; -EINVAL if the page straddles memory and MMIO (impossible for one page) or -EPERM if
     *     it is not memory (including a pfn beyond the PA range: its address lands outside DRAM, as
     *     the kernel's unchecked {@code hyp_pfn_to_phys} does); -EPERM for any state mismatch
     */
    public int hostShareHyp(long pfn) {
        long phys = pfn << Dram.PAGE_SHIFT;
        lockComponents();
        try {
            int ret = checkHostThenHyp(phys, PAGE_SIZE, PageState.OWNED, PageState.NOPAGE);
            if (ret != 0) {
                return ret;
            }
            hypSetPageStateRange(phys, PAGE_SIZE, PageState.SHARED_BORROWED);
            hostSetPageStateRange(phys, PAGE_SIZE, PageState.SHARED_OWNED);
            return 0;
        } finally {
            unlockComponents();
        }
    }

    /**
     * {@code __pkvm_host_unshare_hyp(pfn)}: ends a share made with {@link #hostShareHyp}.
     * Pre: host SHARED_OWNED, hyp SHARED_BORROWED, not pinned. Post: host OWNED, hyp NOPAGE.
     *
     * @return 0; -EINVAL/-EPERM for a non-memory pfn; -EPERM for a state mismatch; -EBUSY while EL2
     *     holds a pin ({@code hyp_page_count} is not zero)
     */
    public int hostUnshareHyp(long pfn) {
        long phys = pfn << Dram.PAGE_SHIFT;
        lockComponents();
        try {
            int ret = checkHostThenHyp(phys, PAGE_SIZE, PageState.SHARED_OWNED, PageState.SHARED_BORROWED);
            if (ret != 0) {
                return ret;
            }
            if (HypPage.refcount(mem.pageWord(pfn)) != 0) {
                return EBUSY;
            }
            hypSetPageStateRange(phys, PAGE_SIZE, PageState.NOPAGE);
            hostSetPageStateRange(phys, PAGE_SIZE, PageState.OWNED);
            return 0;
        } finally {
            unlockComponents();
        }
    }

    /**
     * {@code __pkvm_host_share_ffa(pfn, nr_pages)}: the host lends pages to the secure world through
     * the hypervisor's FF-A proxy (its {@code FFA_MEM_SHARE}). Pre: every page host OWNED. Post:
     * host SHARED_OWNED with no guest share count, hyp untouched, so EL2 can tell such a page from
     * one shared with a guest: {@code __pkvm_host_share_guest} refuses it with -EPERM.
     *
     * <p>EL2-internal in pkvm4j: the model has no secure world and no SMC path to the proxy, so
     * only the hypervisor's own code (and the ownership selftest) calls it.
     *
     * @return 0; -EINVAL if the range leaves the PA range, overflows or straddles memory and MMIO;
     *     -EPERM if it is not memory or a page is in the wrong state
     */
    public int hostShareFfa(long pfn, long nrPages) {
        if (!ranges.pfnRangeIsValid(pfn, nrPages)) {
            return EINVAL;
        }
        long phys = pfn << Dram.PAGE_SHIFT;
        long size = nrPages << Dram.PAGE_SHIFT;
        hostLock.lock();
        try {
            int ret = hostCheckPageStateRange(phys, size, PageState.OWNED);
            if (ret != 0) {
                return ret;
            }
            hostSetPageStateRange(phys, size, PageState.SHARED_OWNED);
            return 0;
        } finally {
            hostLock.unlock();
        }
    }

    /**
     * {@code __pkvm_host_unshare_ffa(pfn, nr_pages)}: ends a share made with {@link #hostShareFfa}.
     * Pre: every page host SHARED_OWNED. Post: host OWNED.
     *
     * <p>The kernel checks only the host state and relies on the FF-A proxy's own record of what it
     * lent; pkvm4j keeps no such record, so it also requires what only an FF-A share leaves: hyp
     * NOPAGE and no guest share count. Otherwise a page shared with EL2 or a guest could be made the
     * host's alone behind their backs.
     *
     * @return 0; -EINVAL as {@link #hostShareFfa}; -EPERM for a state mismatch
     */
    public int hostUnshareFfa(long pfn, long nrPages) {
        if (!ranges.pfnRangeIsValid(pfn, nrPages)) {
            return EINVAL;
        }
        long phys = pfn << Dram.PAGE_SHIFT;
        long size = nrPages << Dram.PAGE_SHIFT;
        lockComponents();
        try {
            int ret = checkHostThenHyp(phys, size, PageState.SHARED_OWNED, PageState.NOPAGE);
            if (ret != 0) {
                return ret;
            }
            for (long i = 0; i < nrPages; i++) {
                if (HypPage.shareGuestCount(mem.pageWord(pfn + i)) != 0) {
                    return EPERM;
                }
            }
            hostSetPageStateRange(phys, size, PageState.OWNED);
            return 0;
        } finally {
            unlockComponents();
        }
    }

    /**
     * {@code hyp_pin_shared_mem(from, to)}: EL2 pins the pages holding {@code [from, to)} so the host
     * cannot unshare them while EL2 uses them; the first pin maps a page at EL2.
     * Pre: every page host SHARED_OWNED, hyp SHARED_BORROWED. Post: each refcount + 1.
     *
     * @return 0; -EINVAL/-EPERM for a range that is not all memory; -EPERM for a state mismatch.
     *     pkvm4j also answers -EINVAL for {@code to < from}, which the kernel never receives.
     * @throws IllegalStateException if a refcount would pass {@code u16} (the kernel's {@code BUG_ON}
     *     in {@code hyp_page_ref_inc}); nothing is changed
     */
    public int hypPinSharedMem(long from, long to) {
        if (Long.compareUnsigned(to, from) < 0) {
            return EINVAL;
        }
        long start = from & -PAGE_SIZE;
        long end = (to + PAGE_SIZE - 1) & -PAGE_SIZE;
        long size = end - start;
        lockComponents();
        try {
            int ret = hostCheckPageStateRange(start, size, PageState.SHARED_OWNED);
            if (ret == 0) {
                ret = hypCheckPageStateRange(start, size, PageState.SHARED_BORROWED);
            }
            if (ret != 0) {
                return ret;
            }
            long first = start >>> Dram.PAGE_SHIFT;
            long nr = size >>> Dram.PAGE_SHIFT;
            for (long i = 0; i < nr; i++) {
                if (HypPage.refcount(mem.pageWord(first + i)) == HypPage.MAX_REFCOUNT) {
                    throw new IllegalStateException("BUG: hyp_page_ref_inc overflow at pfn 0x" + Long.toHexString(first + i));
                }
            }
            for (long i = 0; i < nr; i++) {
                long w = mem.pageWord(first + i);
                // 0 -> 1 is where the kernel maps the page at EL2 (pkvm_create_mappings_locked);
                // pkvm4j derives the EL2 mapping from the refcount (isHypMapped).
                mem.setPageWord(first + i, HypPage.withRefcount(w, HypPage.refcount(w) + 1));
            }
            return 0;
        } finally {
            unlockComponents();
        }
    }

    /**
     * {@code hyp_unpin_shared_mem(from, to)}: drops one pin of each page holding {@code [from, to)};
     * the last one unmaps the page from EL2. No state checks, as in the kernel: pins are EL2's own
     * bookkeeping.
     *
     * @throws IllegalStateException if a page is not memory or not pinned (the kernel's {@code
     *     BUG_ON} in {@code hyp_page_ref_dec}); nothing is changed
     */
    public void hypUnpinSharedMem(long from, long to) {
        if (Long.compareUnsigned(to, from) < 0) {
            throw new IllegalStateException("BUG: hyp_unpin_shared_mem with to < from");
        }
        long first = from >>> Dram.PAGE_SHIFT;
        long nr = (((to + PAGE_SIZE - 1) & -PAGE_SIZE) >>> Dram.PAGE_SHIFT) - first;
        lockComponents();
        try {
            for (long i = 0; i < nr; i++) {
                if (!ranges.isMemoryPfn(first + i) || HypPage.refcount(mem.pageWord(first + i)) == 0) {
                    throw new IllegalStateException("BUG: hyp_page_ref_dec underflow at pfn 0x" + Long.toHexString(first + i));
                }
            }
            for (long i = 0; i < nr; i++) {
                long w = mem.pageWord(first + i);
                mem.setPageWord(first + i, HypPage.withRefcount(w, HypPage.refcount(w) - 1));
            }
        } finally {
            unlockComponents();
        }
    }

    // ---------------------------------------------------------------- host <-> hyp donation

    /**
     * {@code __pkvm_host_donate_hyp(pfn, nr_pages)}: the host gives pages to EL2 for good (EL2-internal:
     * module sections, VM metadata, the hyp allocator's pools). Memory only, RW at EL2.
     *
     * @return as {@link #hostDonateHypProt}
     */
    public int hostDonateHyp(long pfn, long nrPages) {
        return hostDonateHypProt(pfn, nrPages, false, Prot.RW);
    }

    /**
     * {@code ___pkvm_host_donate_hyp(pfn, nr_pages, accept_mmio)}: as {@link #hostDonateHyp}, and with
     * {@code acceptMmio} a range of MMIO (a device's registers) may be donated too.
     *
     * @return as {@link #hostDonateHypProt}
     */
    public int hostDonateHyp(long pfn, long nrPages, boolean acceptMmio) {
        return hostDonateHypProt(pfn, nrPages, acceptMmio, Prot.RW);
    }

    /**
     * {@code ___pkvm_host_donate_hyp_prot(pfn, nr_pages, accept_mmio, prot)} (the kernel's "Swiss Army
     * knife of memory donation"): Pre: every page host OWNED with no DMA reference, hyp NOPAGE. Post:
     * host NOPAGE annotated owner HYP (a host access faults); memory hyp OWNED, mapped at EL2 with
     * {@code prot} (without W, EL2's own stores to it fault); MMIO owned by EL2 (the host's stage-2
     * no longer maps it; the hyp state of MMIO is not tracked, as in the kernel, so EL2 reaches the
     * registers through a private mapping).
     *
     * @return 0; -EINVAL if the range leaves the host PA range or overflows, straddles memory and
     *     MMIO, or {@code prot} is refused ({@code hyp_set_prot_attr}); -EPERM for MMIO without
     *     {@code acceptMmio}, or a page in the wrong state; -EINVAL for a page in use for DMA
     */
    public int hostDonateHypProt(long pfn, long nrPages, boolean acceptMmio, int prot) {
        if (!ranges.pfnRangeIsValid(pfn, nrPages)) {
            return EINVAL;
        }
        long phys = pfn << Dram.PAGE_SHIFT;
        long size = nrPages << Dram.PAGE_SHIFT;
        int memory = ranges.checkRangeAllowedMemory(phys, phys + size);
        if (memory == EINVAL || HypPgTable.checkProt(prot, memory != 0) != 0) {
            return EINVAL;
        }
        if (memory != 0) {
            return acceptMmio ? hostDonateHypMmio(pfn, nrPages) : EPERM;
        }
        lockComponents();
        try {
            int ret = checkHostThenHyp(phys, size, PageState.OWNED, PageState.NOPAGE);
            if (ret != 0) {
                return ret;
            }
            hypSetPageStateRange(phys, size, PageState.OWNED);
            if ((prot & Prot.W) == 0) {
                for (long i = 0; i < nrPages; i++) {
                    hypReadOnly.add(pfn + i);
                }
            }
            hostStage2SetOwnerLocked(phys, size, OwnerId.HYP);
            return 0;
        } finally {
            unlockComponents();
        }
    }

    /** The MMIO half of {@link #hostDonateHypProt}: every page still the host's, then all EL2's. */
    private int hostDonateHypMmio(long pfn, long nrPages) {
        lockComponents();
        try {
            for (long i = 0; i < nrPages; i++) {
                if (mem.isMmioOwnedByHyp(pfn + i)) {
                    return EPERM;
                }
            }
            for (long i = 0; i < nrPages; i++) {
                mem.setMmioOwnedByHyp(pfn + i, true);
            }
            return 0;
        } finally {
            unlockComponents();
        }
    }

    /**
     * {@code __pkvm_host_donate_sglist_hyp(sglist, nr)}: donates each entry ({@code struct
     * pkvm_sglist_page}: pfn in bits 0..39, order in bits 40..47, {@code 2^order} pages) to EL2 as
     * {@link #hostDonateHyp}, under one hold of the locks. All or nothing: an entry that fails gives
     * the ones before it back.
     *
     * @return 0; -EINVAL for an order above {@link #SGLIST_MAX_ORDER} or a range leaving the PA range;
     *     the host or hyp state check's errno for the first entry in the wrong state (an entry that
     *     overlaps an earlier one finds it donated: -EPERM)
     */
    public int hostDonateSglistHyp(long[] sglist) {
        lockComponents();
        try {
            int done = 0;
            int ret = 0;
            for (; done < sglist.length; done++) {
                long pfn = sglist[done] & ((1L << 40) - 1);
                int order = (int) (sglist[done] >>> 40 & 0xFF);
                long nr = 1L << Math.min(order, 62);
                if (order > SGLIST_MAX_ORDER || !ranges.pfnRangeIsValid(pfn, nr)) {
                    ret = EINVAL;
                    break;
                }
                long phys = pfn << Dram.PAGE_SHIFT;
                ret = checkHostThenHyp(phys, nr << Dram.PAGE_SHIFT, PageState.OWNED, PageState.NOPAGE);
                if (ret != 0) {
                    break;
                }
                hypSetPageStateRange(phys, nr << Dram.PAGE_SHIFT, PageState.OWNED);
                hostStage2SetOwnerLocked(phys, nr << Dram.PAGE_SHIFT, OwnerId.HYP);
            }
            if (ret != 0) {
                while (done-- > 0) {
                    long phys = (sglist[done] & ((1L << 40) - 1)) << Dram.PAGE_SHIFT;
                    long size = PAGE_SIZE << (int) (sglist[done] >>> 40 & 0xFF);
                    hypSetPageStateRange(phys, size, PageState.NOPAGE);
                    hostStage2SetOwnerLocked(phys, size, OwnerId.HOST);
                }
            }
            return ret;
        } finally {
            unlockComponents();
        }
    }

    // ---------------------------------------------------------------- DMA references

    /**
     * {@code __pkvm_use_dma(phys, size)} for the host: pages an IOMMU maps for a host device are
     * counted, and a counted page cannot be donated or shared ({@code HOST_CHECK_NULL_REFCNT}: -EINVAL)
     * until {@link #unuseDma} drops the count. Pre: every page host OWNED. MMIO has no count in pkvm4j
     * (the kernel taints it SHARED_BORROWED for good): accepted unless EL2 owns it.
     *
     * @return 0; -EINVAL for a range that is not page aligned, leaves the PA range or straddles memory
     *     and MMIO; -EPERM for a page that is not host OWNED (EL2's, a guest's, shared, restricted)
     * @throws IllegalStateException if a count would pass {@code u16} (the kernel's {@code BUG_ON})
     */
    public int useDma(long phys, long size) {
        if (((phys | size) & (PAGE_SIZE - 1)) != 0 || !ranges.pfnRangeIsValid(phys >>> Dram.PAGE_SHIFT, size >>> Dram.PAGE_SHIFT)) {
            return EINVAL;
        }
        int memory = ranges.checkRangeAllowedMemory(phys, phys + size);
        if (memory == EINVAL) {
            return EINVAL;
        }
        long first = phys >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        hostLock.lock();
        try {
            if (memory != 0) {
                for (long i = 0; i < nr; i++) {
                    if (mem.isMmioOwnedByHyp(first + i)) {
                        return EPERM;
                    }
                }
                return 0;
            }
            for (long i = 0; i < nr; i++) {
                long w = mem.pageWord(first + i);
                if (HypPage.hostState(w) != PageState.OWNED || HypPage.hostProtRestricted(w)) {
                    return EPERM;
                }
                if (HypPage.refcount(w) == HypPage.MAX_REFCOUNT) {
                    throw new IllegalStateException("BUG: hyp_page_ref_inc overflow at pfn 0x" + Long.toHexString(first + i));
                }
            }
            for (long i = 0; i < nr; i++) {
                long w = mem.pageWord(first + i);
                mem.setPageWord(first + i, HypPage.withRefcount(w, HypPage.refcount(w) + 1));
            }
            return 0;
        } finally {
            hostLock.unlock();
        }
    }

    /**
     * {@code __pkvm_unuse_dma(phys, size)}: drops one DMA reference of each page, after the IOMMU
     * unmapped them (and invalidated its TLB). MMIO: nothing to drop.
     *
     * @return 0; -EINVAL for a range that is not page aligned or leaves the PA range
     * @throws IllegalStateException if a page holds no reference (the kernel's {@code BUG_ON} in
     *     {@code hyp_page_ref_dec}); nothing is changed
     */
    public int unuseDma(long phys, long size) {
        if (((phys | size) & (PAGE_SIZE - 1)) != 0 || !ranges.pfnRangeIsValid(phys >>> Dram.PAGE_SHIFT, size >>> Dram.PAGE_SHIFT)) {
            return EINVAL;
        }
        if (ranges.checkRangeAllowedMemory(phys, phys + size) != 0) {
            return 0;
        }
        long first = phys >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        hostLock.lock();
        try {
            for (long i = 0; i < nr; i++) {
                long w = mem.pageWord(first + i);
                if (HypPage.hostState(w) != PageState.OWNED || HypPage.refcount(w) == 0) {
                    throw new IllegalStateException("BUG: hyp_page_ref_dec underflow at pfn 0x" + Long.toHexString(first + i));
                }
            }
            for (long i = 0; i < nr; i++) {
                long w = mem.pageWord(first + i);
                mem.setPageWord(first + i, HypPage.withRefcount(w, HypPage.refcount(w) - 1));
            }
            return 0;
        } finally {
            hostLock.unlock();
        }
    }

    /** How many DMA references host page {@code pfn} holds (its {@code hyp_page} refcount while host OWNED). */
    public int dmaCount(long pfn) {
        long w = mem.pageWord(pfn);
        return HypPage.hostState(w) == PageState.OWNED ? HypPage.refcount(w) : 0;
    }

    // ---------------------------------------------------------------- early linear mappings

    /**
     * {@code __pkvm_linear_map_early(phys, size, prot)}: maps memory pages in the hyp linear map whoever
     * owns them, until module registration closes.
     *
     * @return 0; -EPERM once registration closed; -EINVAL for an unaligned or empty range, one that is
     *     not memory, or a refused prot; -EEXIST if a page is mapped at EL2 already
     */
    public int linearMapEarly(long phys, long size, int prot) {
        if (registrationClosed) {
            return EPERM;
        }
        if (size <= 0 || ((phys | size) & (PAGE_SIZE - 1)) != 0 || !ranges.pfnRangeIsValid(phys >>> Dram.PAGE_SHIFT, size >>> Dram.PAGE_SHIFT)
                || ranges.checkRangeAllowedMemory(phys, phys + size) != 0 || HypPgTable.checkProt(prot, false) != 0) {
            return EINVAL;
        }
        long first = phys >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        hypLock.lock();
        try {
            for (long i = 0; i < nr; i++) {
                if (isHypMapped(first + i) || earlyLinear.containsKey(first + i)) {
                    return -Errno.EEXIST.code();
                }
            }
            for (long i = 0; i < nr; i++) {
                earlyLinear.put(first + i, prot);
            }
            return 0;
        } finally {
            hypLock.unlock();
        }
    }

    /**
     * {@code __pkvm_linear_unmap_early(addr, size)}.
     *
     * @return 0; -EPERM once registration closed; -EINVAL if a page was not mapped early
     */
    public int linearUnmapEarly(long va, long size) {
        if (registrationClosed) {
            return EPERM;
        }
        if (size <= 0 || ((va | size) & (PAGE_SIZE - 1)) != 0 || va < 0 || va + size < va) {
            return EINVAL;
        }
        long first = va >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        hypLock.lock();
        try {
            for (long i = 0; i < nr; i++) {
                if (!earlyLinear.containsKey(first + i)) {
                    return EINVAL;
                }
            }
            for (long i = 0; i < nr; i++) {
                earlyLinear.remove(first + i);
            }
            return 0;
        } finally {
            hypLock.unlock();
        }
    }

    /**
     * {@code __pkvm_close_module_registration}: no early linear mapping may be made or removed from
     * now on.
     *
     * @return the bytes still mapped early (the kernel's {@code WARN_ON_ONCE(early_lm_pages)}); they
     *     stay mapped
     */
    public long closeModuleRegistration() {
        hypLock.lock();
        try {
            registrationClosed = true;
            return (long) earlyLinear.size() << Dram.PAGE_SHIFT;
        } finally {
            hypLock.unlock();
        }
    }

    // ---------------------------------------------------------------- the IOMMU idmap

    /**
     * {@code kvm_iommu_snapshot_host_stage2(domain)}: under the host lock, hands {@code idmap} every
     * page the host may access now ({@code prot} RW) and installs it, so that every later host
     * stage-2 change reaches it in the same critical section.
     *
     * @return 0; -EBUSY if an idmap domain is installed already
     */
    public int snapshotHostStage2(IommuIdmap idmap) {
        hostLock.lock();
        try {
            if (iommuIdmap != null) {
                return EBUSY;
            }
            long base = mem.dram().basePfn();
            long n = mem.dram().nrPages();
            long runStart = -1;
            for (long pfn = base; pfn <= base + n; pfn++) {
                boolean mapped = pfn < base + n && HypPage.hostAccessible(mem.pageWord(pfn));
                if (mapped && runStart < 0) {
                    runStart = pfn;
                } else if (!mapped && runStart >= 0) {
                    idmap.hostStage2Idmap(runStart, pfn - runStart, Prot.R | Prot.W);
                    runStart = -1;
                }
            }
            iommuIdmap = idmap;
            return 0;
        } finally {
            hostLock.unlock();
        }
    }

    /** Tells the idmap domain, if any, what the host may now access of {@code nrPages} from {@code pfn}. */
    void iommuSync(long pfn, long nrPages) {
        IommuIdmap idmap = iommuIdmap;
        if (idmap == null) {
            return;
        }
        // One call (one IOTLB invalidation) per run of pages that end up with the same prot.
        long runStart = pfn;
        int runProt = -1;
        for (long p = pfn; p < pfn + nrPages; p++) {
            int prot = HypPage.hostAccessible(mem.pageWord(p)) ? Prot.R | Prot.W : 0;
            if (prot != runProt && runProt >= 0) {
                idmap.hostStage2Idmap(runStart, p - runStart, runProt);
                runStart = p;
            }
            runProt = prot;
        }
        if (runProt >= 0) {
            idmap.hostStage2Idmap(runStart, pfn + nrPages - runStart, runProt);
        }
    }

    /**
     * {@code __pkvm_hyp_donate_host(pfn, nr_pages)}: EL2 gives pages back to the host (EL2-internal:
     * a failed module load, VM teardown, memcache refill returns).
     * Pre: every page hyp OWNED, host NOPAGE. Post: hyp NOPAGE (unmapped at EL2), host OWNED
     * (annotation cleared, idmap restored).
     *
     * @return 0; -EINVAL if the range leaves the host PA range or overflows; -EPERM if any page is
     *     in the wrong state (checked hyp first, as the kernel does, so a non-memory page reads as
     *     hyp NOPAGE: -EPERM); -EINVAL/-EPERM from the host's memory check
     */
    public int hypDonateHost(long pfn, long nrPages) {
        if (!ranges.pfnRangeIsValid(pfn, nrPages)) {
            return EINVAL;
        }
        long phys = pfn << Dram.PAGE_SHIFT;
        long size = nrPages << Dram.PAGE_SHIFT;
        lockComponents();
        try {
            int ret = hypCheckPageStateRange(phys, size, PageState.OWNED);
            if (ret == 0) {
                ret = hostCheckPageStateRange(phys, size, PageState.NOPAGE);
            }
            if (ret != 0) {
                return ret;
            }
            hypSetPageStateRange(phys, size, PageState.NOPAGE);
            for (long i = 0; i < nrPages; i++) {
                hypReadOnly.remove(pfn + i);
            }
            hostStage2SetOwnerLocked(phys, size, OwnerId.HOST);
            return 0;
        } finally {
            unlockComponents();
        }
    }

    // ---------------------------------------------------------------- host stage-2 permissions

    /**
     * {@code module_change_host_page_prot(pfn, prot, nr_pages)} (ACK, behind {@code
     * host_stage2_mod_prot}): sets the host's stage-2 permissions of {@code nrPages} pages from
     * {@code pfn}. Pre: the whole range pristine (host OWNED, unrestricted) or the whole range already
     * restricted. Post: permissions {@code prot}; {@code RWX} makes the pages pristine again.
     * Differences from ACK: a range that is not memory is refused (ACK trusts modules with MMIO, which
     * pkvm4j has no metadata for), and {@code prot == 0} is a permission restriction like any other
     * (ACK annotates the range for {@code PKVM_ID_PROTECTED}, a translation fault).
     *
     * @return 0; -EINVAL for bits beyond RWX or a range that leaves the PA range or overflows;
     *     -EINVAL/-EPERM from the memory check; -EPERM for a mixed or non-pristine range
     */
    public int hostStage2ModProt(long pfn, int prot, long nrPages) {
        return hostStage2ModProt(pfn, prot, nrPages, true);
    }

    /**
     * {@code module_change_host_page_prot(pfn, prot, nr_pages, update_iommu)} (android15-6.6 on): as
     * {@link #hostStage2ModProt(long, int, long)}; with {@code updateIommu} the IOMMU's host idmap
     * domain (if a module snapshotted one) takes the new R and W permissions too, without it the
     * host's DMA view keeps the old ones ("fast but not safe", as the kernel says).
     *
     * @return as {@link #hostStage2ModProt(long, int, long)}
     */
    public int hostStage2ModProt(long pfn, int prot, long nrPages, boolean updateIommu) {
        if ((prot & ~PROT_RWX) != 0 || !ranges.pfnRangeIsValid(pfn, nrPages)) {
            return EINVAL;
        }
        long phys = pfn << Dram.PAGE_SHIFT;
        long size = nrPages << Dram.PAGE_SHIFT;
        hostLock.lock();
        try {
            int ret = ranges.checkRangeAllowedMemory(phys, phys + size);
            if (ret != 0) {
                return ret;
            }
            if (nrPages == 0) {
                return 0;
            }
            if (HypPage.hostProtRestricted(mem.pageWord(pfn))) {
                for (long i = 1; i < nrPages; i++) {
                    if (!HypPage.hostProtRestricted(mem.pageWord(pfn + i))) {
                        return EPERM;
                    }
                }
            } else {
                ret = hostCheckPageStateRange(phys, size, PageState.OWNED);
                if (ret != 0) {
                    return ret;
                }
            }
            for (long i = 0; i < nrPages; i++) {
                mem.setPageWord(pfn + i, HypPage.withHostProt(mem.pageWord(pfn + i), prot));
            }
            IommuIdmap idmap = iommuIdmap;
            if (updateIommu && idmap != null) {
                idmap.hostStage2Idmap(pfn, nrPages, prot & (Prot.R | Prot.W));
            }
            return 0;
        } finally {
            hostLock.unlock();
        }
    }

    /** The host's stage-2 permissions of page {@code pfn} ({@code kvm_pgtable_prot} bits); 0 if not accessible. */
    public int hostProt(long pfn) {
        if (!ranges.isMemoryPfn(pfn)) {
            return PROT_RWX;
        }
        long w = mem.pageWord(pfn);
        return HypPage.hostAccessible(w) ? HypPage.hostProt(w) : 0;
    }

    /**
     * {@code host_stage2_get_leaf(phys, &pte, &level)}: the host stage-2 leaf of {@code phys}, read
     * under the host lock. DRAM is mapped page by page (level 3): a page the host may access is a
     * valid entry with its permissions, any other an invalid one naming its owner. Non-memory is the
     * idmapped MMIO window: valid, RW (the host's device mapping), host-owned.
     *
     * @return the leaf, or null if {@code phys} is outside the PA range (the walker's -ERANGE)
     */
    public HostStage2Leaf hostStage2GetLeaf(long phys) {
        if (phys < 0 || phys >= 1L << Dram.PA_BITS) {
            return null;
        }
        long pfn = phys >>> Dram.PAGE_SHIFT;
        long page = pfn << Dram.PAGE_SHIFT;
        if (!ranges.isMemoryPfn(pfn)) {
            return new HostStage2Leaf(page, HostStage2Leaf.PAGE_LEVEL, true, Prot.RW, OwnerId.HOST.id(), PageState.OWNED.bits());
        }
        long w;
        hostLock.lock();
        try {
            w = mem.pageWord(pfn);
        } finally {
            hostLock.unlock();
        }
        boolean valid = HypPage.hostAccessible(w);
        return new HostStage2Leaf(page, HostStage2Leaf.PAGE_LEVEL, valid, valid ? HypPage.hostProt(w) : 0,
                valid ? OwnerId.HOST.id() : HypPage.annotationOwner(w).id(), HypPage.hostState(w).bits());
    }

    // ---------------------------------------------------------------- EL2 accesses

    /**
     * Whether EL2 has every page of {@code [va, va + size)} mapped (hyp VA = PA): memory, and {@link
     * #isHypMapped}. Read without a lock, as the hardware walks EL2's stage-1.
     */
    public boolean hypCanAccess(long va, long size, boolean write) {
        if (!hypCanAccess(va, size)) {
            return false;
        }
        if (write && size > 0 && (!hypReadOnly.isEmpty() || !earlyLinear.isEmpty())) {
            for (long pfn = va >>> Dram.PAGE_SHIFT; pfn <= (va + size - 1) >>> Dram.PAGE_SHIFT; pfn++) {
                Integer early = earlyLinear.get(pfn);
                if (hypReadOnly.contains(pfn) || (early != null && !isHypMapped(pfn) && (early & Prot.W) == 0)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** As {@link #hypCanAccess(long, long, boolean)} for a read. */
    public boolean hypCanAccess(long va, long size) {
        if (size < 0 || va < 0 || va + size < va) {
            return false;
        }
        if (size == 0) {
            return true;
        }
        long first = va >>> Dram.PAGE_SHIFT;
        long last = (va + size - 1) >>> Dram.PAGE_SHIFT;
        for (long pfn = first; pfn <= last; pfn++) {
            if (!ranges.isMemoryPfn(pfn) || (!isHypMapped(pfn) && !earlyLinear.containsKey(pfn))) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- host stage-2 faults

    /**
     * {@code handle_host_mem_abort}: the host touched {@code pa} and its stage-2 did not map it.
     * Re-tries the idmap ({@code host_stage2_idmap}): a page the host may access (its state is not
     * NOPAGE: the fault raced with a transition that gave it back) is "mapped" and the access
     * retried; an annotated page (owned by EL2 or a guest) makes the kernel inject an abort.
     *
     * @return {@link OwnerId#HOST} to retry the access; else the annotation's owner, read under the
     *     host lock, for the injected abort
     */
    public OwnerId handleHostMemAbort(long pa, boolean write) {
        long pfn = pa >>> Dram.PAGE_SHIFT;
        hostLock.lock();
        try {
            // Non-memory is idmapped as device memory; the machine serves MMIO without trapping.
            if (!ranges.isMemoryPfn(pfn)) {
                return mem.isMmioOwnedByHyp(pfn) ? OwnerId.HYP : OwnerId.HOST;
            }
            long w = mem.pageWord(pfn);
            return HypPage.hostAccessible(w) ? OwnerId.HOST : HypPage.annotationOwner(w);
        } finally {
            hostLock.unlock();
        }
    }

    // ---------------------------------------------------------------- state queries

    /** The host's state of page {@code pfn}; NOPAGE for a page that is not memory. */
    public PageState hostState(long pfn) {
        return ranges.isMemoryPfn(pfn) ? HypPage.hostState(mem.pageWord(pfn)) : PageState.NOPAGE;
    }

    /** The hypervisor's state of page {@code pfn} ({@code get_hyp_state}); NOPAGE for non-memory. */
    public PageState hypState(long pfn) {
        return ranges.isMemoryPfn(pfn) ? HypPage.hypState(mem.pageWord(pfn)) : PageState.NOPAGE;
    }

    /** How many pins EL2 holds on page {@code pfn} ({@code hyp_page_count}). */
    public int pinCount(long pfn) {
        return HypPage.refcount(mem.pageWord(pfn));
    }

    /**
     * Whether EL2 has page {@code pfn} mapped: it owns it (donated pages are mapped RW), or borrows it
     * and holds a pin (the mapping {@code hyp_pin_shared_mem} creates on the first pin).
     */
    public boolean isHypMapped(long pfn) {
        long w = mem.pageWord(pfn);
        PageState hyp = HypPage.hypState(w);
        return hyp == PageState.OWNED || hyp == PageState.SHARED_OWNED
                || (hyp == PageState.SHARED_BORROWED && HypPage.refcount(w) > 0);
    }

    /**
     * The metadata words of {@code nrPages} DRAM pages from {@code pfn}, read under both component
     * locks: a consistent snapshot no transition is half-way through.
     */
    public long[] snapshot(long pfn, int nrPages) {
        long[] words = new long[nrPages];
        lockComponents();
        try {
            for (int i = 0; i < nrPages; i++) {
                words[i] = mem.pageWord(pfn + i);
            }
        } finally {
            unlockComponents();
        }
        return words;
    }

    // ---------------------------------------------------------------- internals

    /** {@code host_lock_component(); hyp_lock_component();}: the kernel's lock order. */
    void lockComponents() {
        hostLock.lock();
        hypLock.lock();
    }

    void unlockComponents() {
        hypLock.unlock();
        hostLock.unlock();
    }

    /**
     * The host's state, then the hyp's, over one range: how every host-initiated host/hyp transition
     * starts ({@code __host_check_page_state_range} then {@code __hyp_check_page_state_range}).
     */
    private int checkHostThenHyp(long addr, long size, PageState host, PageState hyp) {
        int ret = hostCheckPageStateRange(addr, size, host);
        return ret != 0 ? ret : hypCheckPageStateRange(addr, size, hyp);
    }

    /**
     * {@code __host_check_page_state_range}: the memory check, then every page's host state; a page
     * whose host permissions a module restricted matches no state.
     */
    int hostCheckPageStateRange(long addr, long size, PageState state) {
        int ret = ranges.checkRangeAllowedMemory(addr, addr + size);
        if (ret != 0) {
            return ret;
        }
        long first = addr >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        for (long i = 0; i < nr; i++) {
            long w = mem.pageWord(first + i);
            // A restricted page is PKVM_MODULE_OWNED_PAGE in ACK: no host state matches it.
            if (HypPage.hostState(w) != state || HypPage.hostProtRestricted(w)) {
                return EPERM;
            }
            // HOST_CHECK_NULL_REFCNT: an OWNED page's refcount counts DMA references (useDma).
            if (state == PageState.OWNED && HypPage.refcount(w) != 0) {
                return EINVAL;
            }
        }
        return 0;
    }

    /**
     * {@code __hyp_check_page_state_range}: every page's hyp state. No memory check of its own, as in
     * the kernel; a non-memory page has no {@code hyp_page} and reads as NOPAGE here.
     */
    int hypCheckPageStateRange(long addr, long size, PageState state) {
        long first = addr >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        for (long i = 0; i < nr; i++) {
            if (hypState(first + i) != state) {
                return EPERM;
            }
        }
        return 0;
    }

    /** {@code __hyp_set_page_state_range}. */
    void hypSetPageStateRange(long addr, long size, PageState state) {
        long first = addr >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        for (long i = 0; i < nr; i++) {
            mem.setPageWord(first + i, HypPage.withHypState(mem.pageWord(first + i), state));
        }
    }

    /**
     * {@code __host_set_page_state_range}: a page coming back from NOPAGE gets its idmap again, which
     * in the model is the state itself (the host path maps every non-NOPAGE page).
     */
    void hostSetPageStateRange(long addr, long size, PageState state) {
        long first = addr >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        for (long i = 0; i < nr; i++) {
            mem.setPageWord(first + i, HypPage.withHostState(mem.pageWord(first + i), state));
        }
        iommuSync(first, nr);
    }

    /**
     * {@code host_stage2_set_owner_locked(addr, size, owner_id)}: owner HOST re-installs the idmap
     * and makes the host OWNED; owner HYP leaves a donation annotation and makes the host NOPAGE.
     * A guest owner needs the VM handle and gfn ({@code host_stage2_set_owner_metadata_locked}),
     * which the guest transitions will add.
     *
     * @return 0; -EPERM for a range that is not memory; -EINVAL for another owner
     */
    int hostStage2SetOwnerLocked(long addr, long size, OwnerId owner) {
        if (ranges.checkRangeAllowedMemory(addr, addr + size) != 0) {
            return EPERM;
        }
        PageState state;
        switch (owner) {
            case HOST -> state = PageState.OWNED;
            case HYP -> state = PageState.NOPAGE;
            default -> {
                return EINVAL;
            }
        }
        long first = addr >>> Dram.PAGE_SHIFT;
        long nr = size >>> Dram.PAGE_SHIFT;
        for (long i = 0; i < nr; i++) {
            long w = HypPage.withAnnotation(mem.pageWord(first + i), owner);
            mem.setPageWord(first + i, HypPage.withHostState(w, state));
        }
        iommuSync(first, nr);
        return 0;
    }
}
