package org.pkvm4j.hypervisor.mem;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;

/**
 * Page ownership between the host and guests: the guest transitions of {@code mem_protect.c}.
 *
 * <p>Kernel counterpart: {@code __pkvm_host_share_guest}, {@code __pkvm_host_unshare_guest}, {@code
 * __pkvm_host_donate_guest}, {@code __pkvm_guest_share_host}, {@code __pkvm_guest_unshare_host},
 * {@code __pkvm_host_reclaim_page_guest} and {@code __pkvm_host_force_reclaim_page_guest} (PKVM.md
 * §4.5), plus {@code __pkvm_finalize_teardown_vm}. Each checks in the kernel's order and changes
 * nothing on failure. The host side lives in the {@link HypPage} words (a guest-owned page is host
 * NOPAGE annotated {GUEST, handle, gfn}); the guest side in the VM's stage-2 ({@link HypVm}).
 * Locks: the VM table's lock (where a VM is looked up by page, and around a dying VM's reclaim and
 * finalize), then the host lock, then the VM's lock. A protected guest's stage-2 tables come from its vCPUs' memcaches ({@link
 * #refillMemcache}); a non-protected guest's are not counted (pkvm4j shares them from no memcache,
 * so {@code __pkvm_host_share_guest} has no -ENOMEM). A 2 MiB block share is a level-2 leaf, as in
 * the kernel: an unshare whose size does not match the leaf's granule is -E2BIG. As in the kernel,
 * whether the VM is protected is the hypercall wrappers' check ({@link GuestVcpus}), not the
 * transitions'.
 *
 * <p>Teardown: every transition that gives a VM a page checks under the host lock and the VM's
 * lock that the VM is not dying. {@link #finalizeTeardownVm} removes a VM only once it is dying,
 * under the host lock, so a transition that passed that check either ends before the finalize
 * (which then reclaims the page) or meets a dying VM and changes nothing: no page is left owned
 * by, or shared with, a VM that no longer exists.
 */
public final class GuestMemProtect {
    /** Pages in a level-2 block (2 MiB at 4 KiB). */
    public static final int BLOCK_PAGES = 512;
    private static final int EPERM = -Errno.EPERM.code();
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int EBUSY = -Errno.EBUSY.code();
    private static final int ENOENT = -Errno.ENOENT.code();
    private static final int EAGAIN = -Errno.EAGAIN.code();
    private static final int EFAULT = -Errno.EFAULT.code();
    private static final int EHWPOISON = -Errno.EHWPOISON.code();
    private static final int ENOMEM = -Errno.ENOMEM.code();
    private static final int E2BIG = -Errno.E2BIG.code();
    private static final int ERANGE = -Errno.ERANGE.code();
    /** The most pages one refill admits: a bound on the walk of the host's list. */
    public static final int MAX_REFILL_PAGES = 64;
    private static final long PAGE_SIZE = 1L << Dram.PAGE_SHIFT;
    /** Pages in the guest stage-2's input range (see {@link #gfnRangeIsValid}). */
    private static final long GUEST_IPA_PAGES = 1L << (Dram.PA_BITS - Dram.PAGE_SHIFT);

    private final MemProtect mp;
    private final VmTable vms;

    /** Guest transitions over {@code mp}'s memory, for the VMs of {@code vms}. */
    public GuestMemProtect(MemProtect mp, VmTable vms) {
        this.mp = mp;
        this.vms = vms;
    }

    /** The VM table. */
    public VmTable vms() {
        return vms;
    }

    // ---------------------------------------------------------------- non-protected guests

    /**
     * {@code __pkvm_host_share_guest(pfn, gfn, nr_pages, vcpu, prot)}: the host shares pages with a
     * non-protected guest. Pre: each host page OWNED, or SHARED_OWNED with a share count above 0;
     * guest range NOPAGE. Post: host SHARED_OWNED, count + 1; guest SHARED_BORROWED with {@code prot}.
     *
     * @return 0; -EINVAL for an unknown or dying VM, prot beyond RWX, {@code nrPages} neither 1
     *     nor an aligned 2 MiB block, or a range beyond the PA range; -ERANGE for gfns beyond the
     *     guest stage-2's input range; -EPERM for a state mismatch (including a page shared with EL2,
     *     count 0); -EBUSY when a count is at {@code U32_MAX}
     */
    public int hostShareGuest(long pfn, long gfn, long nrPages, long handle, int prot) {
        HypVm vm = vms.get(handle);
        return vm == null ? EINVAL : hostShareGuest(pfn, gfn, nrPages, vm, prot);
    }

    /** {@link #hostShareGuest(long, long, long, long, int)} into {@code vm}, a loaded vCPU's VM. */
    int hostShareGuest(long pfn, long gfn, long nrPages, HypVm vm, int prot) {
        if ((prot & ~Prot.RWX) != 0) {
            return EINVAL;
        }
        if (nrPages != 1 && !(nrPages == BLOCK_PAGES && (pfn % BLOCK_PAGES) == 0 && (gfn % BLOCK_PAGES) == 0)) {
            return EINVAL;
        }
        if (!mp.ranges.pfnRangeIsValid(pfn, nrPages)) {
            return EINVAL;
        }
        if (!gfnRangeIsValid(gfn, nrPages)) {
            return ERANGE;
        }
        mp.hostLock.lock();
        vm.lock.lock();
        try {
            if (vm.dying) {
                return EINVAL;
            }
            int ret = mp.ranges.checkRangeAllowedMemory(pfn << Dram.PAGE_SHIFT, (pfn + nrPages) << Dram.PAGE_SHIFT);
            if (ret != 0) {
                return ret;
            }
            for (long i = 0; i < nrPages; i++) {
                long w = mp.mem.pageWord(pfn + i);
                if (HypPage.hostProtRestricted(w)) {
                    return EPERM;
                }
                switch (HypPage.hostState(w)) {
                    case OWNED -> { }
                    case SHARED_OWNED -> {
                        if (HypPage.shareGuestCount(w) == 0) {
                            return EPERM;
                        }
                        if (HypPage.shareGuestCount(w) == HypPage.MAX_SHARE_GUEST_COUNT) {
                            return EBUSY;
                        }
                    }
                    default -> {
                        return EPERM;
                    }
                }
            }
            for (long i = 0; i < nrPages; i++) {
                if (vm.state(gfn + i) != GuestState.NOPAGE) {
                    return EPERM;
                }
            }
            for (long i = 0; i < nrPages; i++) {
                long w = mp.mem.pageWord(pfn + i);
                w = HypPage.withShareGuestCount(HypPage.withHostState(w, PageState.SHARED_OWNED), HypPage.shareGuestCount(w) + 1);
                mp.mem.setPageWord(pfn + i, w);
                mp.iommuSync(pfn + i, 1);
            }
            if (nrPages == 1) {
                vm.map(gfn, pfn, prot, GuestState.SHARED_BORROWED);
            } else {
                vm.mapBlock(gfn, pfn, prot, GuestState.SHARED_BORROWED);
            }
            return 0;
        } finally {
            vm.lock.unlock();
            mp.hostLock.unlock();
        }
    }

    /**
     * {@code __pkvm_host_unshare_guest(gfn, nr_pages, vm)}: ends a share of {@link #hostShareGuest}.
     * {@code nrPages} is 1 or an aligned 2 MiB block ({@code __guest_check_transition_size}) and must
     * match the granule of the leaf at {@code gfn} ({@code __check_host_shared_guest}): one page of a
     * block share, or a block's worth of a page share, is -E2BIG, as in the kernel, which never
     * splits the block. Pre: guest SHARED_BORROWED, host SHARED_OWNED with a count above 0. Post:
     * guest unmapped, count - 1, host OWNED when it reaches 0.
     *
     * @return 0; -EINVAL for an unknown VM or a bad size; -ERANGE for gfns beyond the guest
     *     stage-2's input range; -ENOENT if nothing is mapped at {@code gfn}; -E2BIG if the size is
     *     not the leaf's; -EPERM for a state mismatch
     */
    public int hostUnshareGuest(long gfn, long nrPages, long handle) {
        HypVm vm = vms.get(handle);
        if (vm == null || (nrPages != 1 && (nrPages != BLOCK_PAGES || gfn % BLOCK_PAGES != 0))) {
            return EINVAL;
        }
        if (!gfnRangeIsValid(gfn, nrPages)) {
            return ERANGE;
        }
        mp.hostLock.lock();
        vm.lock.lock();
        try {
            int ret = checkHostSharedGuest(vm, gfn, nrPages);
            if (ret != 0) {
                return ret;
            }
            long pfn0 = vm.pfn(gfn);
            for (long i = 0; i < nrPages; i++) {
                long w = mp.mem.pageWord(pfn0 + i);
                long count = HypPage.shareGuestCount(w) - 1;
                w = HypPage.withShareGuestCount(w, count);
                if (count == 0) {
                    w = HypPage.withHostState(w, PageState.OWNED);
                }
                mp.mem.setPageWord(pfn0 + i, w);
                mp.iommuSync(pfn0 + i, 1);
                vm.unmap(gfn + i);
            }
            return 0;
        } finally {
            vm.lock.unlock();
            mp.hostLock.unlock();
        }
    }

    /** {@code __check_host_shared_guest}: the leaf at {@code gfn}, of {@code nrPages}, is a share of the host's. */
    private int checkHostSharedGuest(HypVm vm, long gfn, long nrPages) {
        GuestState g = vm.state(gfn);
        if (g == GuestState.NOPAGE || g == GuestState.POISON) {
            return ENOENT;
        }
        if ((vm.isBlock(gfn) ? BLOCK_PAGES : 1) != nrPages) {
            return E2BIG;
        }
        if (g != GuestState.SHARED_BORROWED) {
            return EPERM;
        }
        long pfn0 = vm.pfn(gfn);
        int ret = mp.ranges.checkRangeAllowedMemory(pfn0 << Dram.PAGE_SHIFT, (pfn0 + nrPages) << Dram.PAGE_SHIFT);
        if (ret != 0) {
            return ret;
        }
        for (long i = 0; i < nrPages; i++) {
            long w = mp.mem.pageWord(pfn0 + i);
            if (HypPage.hostState(w) != PageState.SHARED_OWNED) {
                return EPERM;
            }
            if (HypPage.shareGuestCount(w) == 0) {
                return EINVAL;
            }
        }
        return 0;
    }

    /**
     * Whether {@code [gfn, gfn + nrPages)} lies in the guest stage-2's input range, else the walk's
     * -ERANGE ({@code kvm_pgtable_walk}: an address beyond {@code BIT(ia_bits)}). The hyp VM's stage-2
     * takes the host's {@code VTCR_EL2} ({@code host_mmu.arch.vtcr}), so its input range is the
     * host's PA range, {@link Dram#PA_BITS} bits.
     */
    static boolean gfnRangeIsValid(long gfn, long nrPages) {
        return gfn >= 0 && gfn < GUEST_IPA_PAGES && nrPages <= GUEST_IPA_PAGES - gfn;
    }

    // ---------------------------------------------------------------- protected guests

    /**
     * {@code __pkvm_host_donate_guest(pfn, gfn, vcpu)} on vCPU 0 of VM {@code handle}: see {@link
     * #hostDonateGuest(long, long, long, int)}.
     */
    public int hostDonateGuest(long pfn, long gfn, long handle) {
        return hostDonateGuest(pfn, gfn, handle, 0);
    }

    /**
     * {@code __pkvm_host_donate_guest(pfn, gfn, vcpu)}: the host gives one page to a protected guest,
     * through vCPU {@code vcpuIdx}, whose memcache pays for any stage-2 table the mapping needs.
     * Pre: the memcache holds {@link HypVm#STAGE2_MIN_PAGES} pages (checked first, as F. Tabba's 2026
     * fix of {@code 1e579adca177} does, so a short memcache fails before any change rather than in
     * the middle of the stage-2 map); host OWNED, guest NOPAGE. Post: host NOPAGE annotated {GUEST,
     * handle, gfn}; guest OWNED RWX; the tables the path lacked taken from the memcache.
     *
     * @return 0; -EINVAL for an unknown or dying VM or a vCPU it does not have; -ERANGE for a gfn
     *     beyond the guest stage-2's input range; -ENOMEM if the memcache is short; -EINVAL/-EPERM for
     *     a pfn that is not memory; -EPERM for a state mismatch (a poisoned gfn too)
     */
    public int hostDonateGuest(long pfn, long gfn, long handle, int vcpuIdx) {
        HypVm vm = vms.get(handle);
        return vm == null ? EINVAL : hostDonateGuest(pfn, gfn, vm, vcpuIdx);
    }

    /** {@link #hostDonateGuest(long, long, long, int)} into {@code vm}, a loaded vCPU's VM. */
    int hostDonateGuest(long pfn, long gfn, HypVm vm, int vcpuIdx) {
        if (vcpuIdx < 0 || vcpuIdx >= vm.nrVcpus) {
            return EINVAL;
        }
        if (!gfnRangeIsValid(gfn, 1)) {
            return ERANGE;
        }
        long phys = pfn << Dram.PAGE_SHIFT;
        mp.hostLock.lock();
        vm.lock.lock();
        try {
            // The liveness check, under the locks the finalize takes to remove the VM (class comment).
            if (vm.dying) {
                return EINVAL;
            }
            HypMemcache mc = vm.memcache(vcpuIdx);
            if (mc.nrPages() < HypVm.STAGE2_MIN_PAGES) {
                return ENOMEM;
            }
            int ret = mp.hostCheckPageStateRange(phys, PAGE_SIZE, PageState.OWNED);
            if (ret != 0) {
                return ret;
            }
            if (HypPage.hypState(mp.mem.pageWord(pfn)) != PageState.NOPAGE || vm.state(gfn) != GuestState.NOPAGE) {
                return EPERM;
            }
            vm.allocTables(gfn, mc);
            long w = HypPage.withGuestAnnotation(mp.mem.pageWord(pfn), vm.handle, gfn);
            mp.mem.setPageWord(pfn, HypPage.withHostState(w, PageState.NOPAGE));
            mp.iommuSync(pfn, 1);
            vm.map(gfn, pfn, Prot.RWX, GuestState.OWNED);
            return 0;
        } finally {
            vm.lock.unlock();
            mp.hostLock.unlock();
        }
    }

    /**
     * {@code pkvm_refill_memcache}: admits the host's memcache into vCPU {@code vcpuIdx}'s: {@code
     * nrPages} pages linked from physical address {@code headPa}, each page's first word holding
     * the next one's PA ({@code push_hyp_memcache}'s list), each donated host→hyp ({@code
     * admit_host_page}). All or nothing: every page is checked (page aligned, memory, host OWNED,
     * hyp NOPAGE, listed once) before any is donated.
     *
     * @return the memcache's page count after the refill; -EINVAL for an unknown or dying VM, a vCPU
     *     it does not have, a count beyond {@link #MAX_REFILL_PAGES}, a misaligned or repeated page,
     *     or a list shorter than {@code nrPages}; the donation's -EINVAL/-EPERM
     */
    public long refillMemcache(long handle, int vcpuIdx, long headPa, long nrPages) {
        HypVm vm = vms.get(handle);
        return vm == null ? EINVAL : refillMemcache(vm, vcpuIdx, headPa, nrPages);
    }

    /** {@link #refillMemcache(long, int, long, long)} of {@code vm}, a loaded vCPU's VM. */
    long refillMemcache(HypVm vm, int vcpuIdx, long headPa, long nrPages) {
        if (vm.dying || vcpuIdx < 0 || vcpuIdx >= vm.nrVcpus || nrPages < 0 || nrPages > MAX_REFILL_PAGES) {
            return EINVAL;
        }
        long[] pfns = new long[(int) nrPages];
        mp.hostLock.lock();
        try {
            // The check above was a fast path: a start and finalize teardown may have run since, and
            // pages pushed into a removed VM's memcache would stay EL2's for good. Checked again under
            // the host lock before anything changes: the finalize removes the VM and drains its
            // memcaches only after it took this lock, and only once the VM is dying, so a VM not dying
            // here is still in the table, and any later finalize drains the pages pushed below.
            vm.lock.lock();
            try {
                if (vm.dying) {
                    return EINVAL;
                }
            } finally {
                vm.lock.unlock();
            }
            long pa = headPa;
            for (int i = 0; i < nrPages; i++) {
                long pfn = pa >>> Dram.PAGE_SHIFT;
                if ((pa & (PAGE_SIZE - 1)) != 0 || !mp.ranges.isMemoryPfn(pfn)) {
                    return EINVAL;
                }
                for (int j = 0; j < i; j++) {
                    if (pfns[j] == pfn) {
                        return EINVAL;
                    }
                }
                int ret = mp.hostCheckPageStateRange(pa, PAGE_SIZE, PageState.OWNED);
                if (ret != 0) {
                    return ret;
                }
                pfns[i] = pfn;
                pa = mp.mem.load64(pa); // the next link, read while the page is still the host's
            }
            // The donation, under the hyp lock taken inside the host lock (the kernel's order): every
            // page is checked before any changes, so it is all or nothing without an undo.
            mp.hypLock.lock();
            try {
                for (long pfn : pfns) {
                    int ret = mp.hypCheckPageStateRange(pfn << Dram.PAGE_SHIFT, PAGE_SIZE, PageState.NOPAGE);
                    if (ret != 0) {
                        return ret;
                    }
                }
                for (long pfn : pfns) {
                    mp.hypSetPageStateRange(pfn << Dram.PAGE_SHIFT, PAGE_SIZE, PageState.OWNED);
                    mp.hostStage2SetOwnerLocked(pfn << Dram.PAGE_SHIFT, PAGE_SIZE, OwnerId.HYP);
                }
            } finally {
                mp.hypLock.unlock();
            }
            vm.lock.lock();
            try {
                HypMemcache mc = vm.memcache(vcpuIdx);
                for (long pfn : pfns) {
                    mc.push(pfn);
                }
                return mc.nrPages();
            } finally {
                vm.lock.unlock();
            }
        } finally {
            mp.hostLock.unlock();
        }
    }

    /** The page count of vCPU {@code vcpuIdx}'s memcache and the VM's table pages; {-1, -1} for an unknown VM. */
    public int[] memcacheAndTables(long handle, int vcpuIdx) {
        HypVm vm = vms.get(handle);
        if (vm == null || vcpuIdx < 0 || vcpuIdx >= vm.nrVcpus) {
            return new int[] {-1, -1};
        }
        vm.lock.lock();
        try {
            return new int[] {vm.memcache(vcpuIdx).nrPages(), vm.nrTablePages()};
        } finally {
            vm.lock.unlock();
        }
    }

    /**
     * {@code __pkvm_guest_share_host(vcpu, gfn)} (the guest's MEM_SHARE). Pre: guest OWNED, host
     * NOPAGE. Post: guest SHARED_OWNED, host SHARED_BORROWED (idmap restored).
     *
     * @return 0; -EINVAL for an unknown VM; -ENOENT if nothing is mapped; -EHWPOISON if poisoned;
     *     -EPERM for a state mismatch
     */
    public int guestShareHost(long handle, long gfn) {
        return guestShareTransition(handle, gfn, GuestState.OWNED, PageState.NOPAGE, true);
    }

    /**
     * {@code __pkvm_guest_unshare_host(vcpu, gfn)} (MEM_UNSHARE). Pre: guest SHARED_OWNED, host
     * SHARED_BORROWED. Post: guest OWNED, host NOPAGE re-annotated; the same errors as {@link
     * #guestShareHost}.
     */
    public int guestUnshareHost(long handle, long gfn) {
        return guestShareTransition(handle, gfn, GuestState.SHARED_OWNED, PageState.SHARED_BORROWED, false);
    }

    private int guestShareTransition(long handle, long gfn, GuestState guestPre, PageState hostPre, boolean share) {
        HypVm vm = vms.get(handle);
        if (vm == null) {
            return EINVAL;
        }
        if (!gfnRangeIsValid(gfn, 1)) {
            return ERANGE;
        }
        mp.hostLock.lock();
        vm.lock.lock();
        try {
            GuestState g = vm.state(gfn);
            if (g == GuestState.NOPAGE) {
                return ENOENT;
            }
            if (g == GuestState.POISON) {
                return EHWPOISON;
            }
            long pfn = vm.pfn(gfn);
            if (g != guestPre || HypPage.hostState(mp.mem.pageWord(pfn)) != hostPre) {
                return EPERM;
            }
            long w = mp.mem.pageWord(pfn);
            if (share) {
                w = HypPage.withHostState(HypPage.withAnnotation(w, OwnerId.HOST), PageState.SHARED_BORROWED);
                vm.map(gfn, pfn, Prot.RWX, GuestState.SHARED_OWNED);
            } else {
                w = HypPage.withHostState(HypPage.withGuestAnnotation(w, vm.handle, gfn), PageState.NOPAGE);
                vm.map(gfn, pfn, Prot.RWX, GuestState.OWNED);
            }
            mp.mem.setPageWord(pfn, w);
            mp.iommuSync(pfn, 1);
            return 0;
        } finally {
            vm.lock.unlock();
            mp.hostLock.unlock();
        }
    }

    // ---------------------------------------------------------------- reclaim

    /**
     * {@code __pkvm_reclaim_dying_guest_page(handle, gfn)}: {@link #hostReclaimPageGuest} for a VM in
     * its teardown; -EINVAL for an unknown VM or one not dying.
     */
    public int reclaimDyingGuestPage(long handle, long gfn) {
        // Under the VM table's lock, as the kernel: the VM cannot be finalized under the reclaim.
        vms.lock.lock();
        try {
            HypVm vm = vms.getLocked(handle);
            if (vm == null || !vm.dying) {
                return EINVAL;
            }
            return hostReclaimPageGuest(gfn, vm);
        } finally {
            vms.lock.unlock();
        }
    }

    /**
     * {@code __pkvm_host_reclaim_page_guest(gfn, vm)}: the host takes a page back from a VM (the
     * kernel calls it for dying VMs only, {@link #reclaimDyingGuestPage}). Guest OWNED (host NOPAGE) ⇒ the page is zeroed;
     * guest SHARED_OWNED (host SHARED_BORROWED) ⇒ not zeroed. Post: guest unmapped, host OWNED. A
     * poisoned gfn was already reclaimed: 0, and its entry goes.
     *
     * @return 0; -EINVAL for an unknown VM; -ERANGE for a gfn beyond the guest stage-2's input
     *     range; -ENOENT if nothing is mapped; -E2BIG if the leaf is a block; -EPERM for a state
     *     mismatch (a page the host shares, which {@link #hostUnshareGuest} ends)
     */
    public int hostReclaimPageGuest(long gfn, long handle) {
        HypVm vm = vms.get(handle);
        return vm == null ? EINVAL : hostReclaimPageGuest(gfn, vm);
    }

    private int hostReclaimPageGuest(long gfn, HypVm vm) {
        if (!gfnRangeIsValid(gfn, 1)) {
            return ERANGE;
        }
        mp.hostLock.lock();
        vm.lock.lock();
        try {
            return reclaimLocked(vm, gfn);
        } finally {
            vm.lock.unlock();
            mp.hostLock.unlock();
        }
    }

    private int reclaimLocked(HypVm vm, long gfn) {
        GuestState g = vm.state(gfn);
        if (g == GuestState.NOPAGE) {
            return ENOENT;
        }
        if (g == GuestState.POISON) {
            vm.unmap(gfn);
            return 0;
        }
        if (vm.isBlock(gfn)) {
            return E2BIG;
        }
        long pfn = vm.pfn(gfn);
        long w = mp.mem.pageWord(pfn);
        PageState host = HypPage.hostState(w);
        boolean owned = g == GuestState.OWNED && host == PageState.NOPAGE
                && HypPage.annotationOwner(w) == OwnerId.GUEST && HypPage.guestHandle(w) == vm.handle;
        boolean shared = g == GuestState.SHARED_OWNED && host == PageState.SHARED_BORROWED;
        if (!owned && !shared) {
            return EPERM;
        }
        if (owned) {
            // Zeroed and cleaned to PoC before the host gets it back.
            mp.mem.zeroPages(pfn, 1);
        }
        mp.mem.setPageWord(pfn, HypPage.withHostState(HypPage.withAnnotation(w, OwnerId.HOST), PageState.OWNED));
        mp.iommuSync(pfn, 1);
        vm.unmap(gfn);
        return 0;
    }

    /**
     * {@code __pkvm_host_force_reclaim_page_guest(phys)}: the host's fault path takes back a page a
     * guest owns. Pre: host NOPAGE annotated GUEST, guest OWNED. Post: guest POISON, page zeroed, host
     * OWNED.
     *
     * @return 0; -EFAULT if {@code phys} is not memory; -EAGAIN if the host can access the page or the
     *     VM is gone; -EPERM if the owner is not a guest or the guest does not own the page
     */
    public int hostForceReclaimPageGuest(long phys) {
        long pfn = phys >>> Dram.PAGE_SHIFT;
        if (!mp.ranges.isMemoryPfn(pfn)) {
            return EFAULT;
        }
        vms.lock.lock();
        try {
            mp.hostLock.lock();
            try {
                long w = mp.mem.pageWord(pfn);
                if (HypPage.hostState(w) != PageState.NOPAGE) {
                    return EAGAIN;
                }
                if (HypPage.annotationOwner(w) != OwnerId.GUEST) {
                    return EPERM;
                }
                HypVm vm = vms.getLocked(HypPage.guestHandle(w));
                if (vm == null) {
                    return EAGAIN;
                }
                long gfn = HypPage.guestGfn(w);
                vm.lock.lock();
                try {
                    if (vm.state(gfn) != GuestState.OWNED || vm.pfn(gfn) != pfn) {
                        return EPERM;
                    }
                    vm.map(gfn, pfn, 0, GuestState.POISON);
                    mp.mem.zeroPages(pfn, 1);
                    mp.mem.setPageWord(pfn, HypPage.withHostState(HypPage.withAnnotation(w, OwnerId.HOST), PageState.OWNED));
                    mp.iommuSync(pfn, 1);
                    return 0;
                } finally {
                    vm.lock.unlock();
                }
            } finally {
                mp.hostLock.unlock();
            }
        } finally {
            vms.lock.unlock();
        }
    }

    /**
     * {@code __pkvm_finalize_teardown_vm(handle)}: removes a dying, unreferenced VM. Whatever the host
     * did not reclaim is reclaimed here (private pages zeroed; pages the host shared with a
     * non-protected VM lose that share), so no page stays lost. The kernel's {@code
     * destroy_hyp_vm_pgt} frees only the table pages: a leaf the host's EL1 did not reclaim between
     * the two phases stays annotated to a VM that no longer exists, which force-reclaim then answers
     * -EAGAIN for good. pkvm4j departs from that on purpose (ADR 0017): the host's reclaim loop is
     * its own code, but a model whose raw hypercalls can lose memory for good cannot check that
     * every page comes back.
     *
     * @return 0; -EINVAL if the VM does not exist, is not dying, or has a loaded vCPU
     */
    public int finalizeTeardownVm(long handle) {
        vms.lock.lock();
        try {
            HypVm vm;
            mp.hostLock.lock();
            try {
                vm = vms.removeDyingLocked(handle);
                if (vm == null) {
                    return EINVAL;
                }
                vm.lock.lock();
                try {
                    for (long gfn : vm.gfns()) {
                        if (vm.state(gfn) == GuestState.SHARED_BORROWED) {
                            long pfn = vm.pfn(gfn);
                            long w = mp.mem.pageWord(pfn);
                            long count = HypPage.shareGuestCount(w) - 1;
                            w = HypPage.withShareGuestCount(w, count);
                            mp.mem.setPageWord(pfn, count == 0 ? HypPage.withHostState(w, PageState.OWNED) : w);
                            mp.iommuSync(pfn, 1);
                            vm.unmap(gfn);
                        } else {
                            reclaimLocked(vm, gfn);
                        }
                    }
                } finally {
                    vm.lock.unlock();
                }
            } finally {
                mp.hostLock.unlock();
            }
            // The stage-2's tables and what is left in the memcaches go back to the host (the
            // kernel hands them to the host's teardown memcache). Outside the host lock: each
            // donation takes the host and hyp locks itself, and the VM is out of the table already.
            returnToHost(vm.tablePfns());
            for (int i = 0; i < vm.nrVcpus; i++) {
                returnToHost(vm.memcache(i).drain());
            }
            return 0;
        } finally {
            vms.lock.unlock();
        }
    }

    private void returnToHost(long[] pfns) {
        for (long pfn : pfns) {
            if (mp.hypDonateHost(pfn, 1) != 0) {
                throw new IllegalStateException("BUG: stage-2 page pfn 0x%x is not EL2's at teardown".formatted(pfn));
            }
        }
    }

    // ---------------------------------------------------------------- queries

    /** The guest state of {@code gfn} in VM {@code handle}; NOPAGE for an unknown VM. */
    public GuestState guestState(long handle, long gfn) {
        HypVm vm = vms.get(handle);
        if (vm == null) {
            return GuestState.NOPAGE;
        }
        vm.lock.lock();
        try {
            return vm.state(gfn);
        } finally {
            vm.lock.unlock();
        }
    }

    /** The pfn VM {@code handle} maps at {@code gfn}, or -1. */
    public long guestPfn(long handle, long gfn) {
        HypVm vm = vms.get(handle);
        if (vm == null) {
            return -1;
        }
        vm.lock.lock();
        try {
            return vm.state(gfn) == GuestState.NOPAGE ? -1 : vm.pfn(gfn);
        } finally {
            vm.lock.unlock();
        }
    }

    HypVm vm(long handle) {
        return vms.get(handle);
    }

    MemProtect memProtect() {
        return mp;
    }
}
