package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;

/**
 * Several host CPUs race share, donate, unshare, guest share/unshare, reclaim, force-reclaim, VM
 * creation and two-phase teardown through the raw host hypercalls, on a few VMs and a small pool of
 * pages. The CPUs know the VMs only by handles in shared slots, which go stale as VMs are torn down
 * and handles reused, as a buggy or hostile host's would. After every run, quiescent: every page has exactly one owner and the host and guest views
 * agree; then every VM is torn down and the host must have every page back, owned and unshared.
 * Kernel counterparts: {@code __pkvm_host_share_guest}, {@code __pkvm_host_unshare_guest}, {@code
 * __pkvm_host_donate_guest}, {@code __pkvm_guest_share_host} / {@code __pkvm_guest_unshare_host},
 * {@code __pkvm_reclaim_dying_guest_page}, {@code __pkvm_host_force_reclaim_page_guest}, {@code
 * __pkvm_start_teardown_vm}, {@code __pkvm_finalize_teardown_vm}.
 *
 * <p>Seeded: the seed is printed with any failure; {@code -Dpkvm4j.race.seed=N} replays one.
 * Bounded by {@link #BUDGET_NANOS} in all.
 */
class GuestMemRaceTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final int NR_CPUS = 4;
    private static final int NR_PAGES = 48;
    private static final long BASE_PFN = Dram.BASE / PAGE;
    private static final int NR_SLOTS = 3;
    private static final int NR_GFNS = 12;
    private static final int OPS_PER_RUN = 400;
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(3);

    private RawHostHcalls hyp;
    /** Per slot, the live VM's handle or 0; slot 1 is non-protected, the others protected. */
    private AtomicLongArray slots;

    @Test
    void everyPageHasOneOwnerAndComesBack() throws Exception {
        String fixed = System.getProperty("pkvm4j.race.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int runs = 0;
        do {
            long runSeed = seed + runs;
            try {
                run(runSeed);
            } catch (AssertionError | Exception e) {
                throw new AssertionError("run " + runs + " failed; replay with -Dpkvm4j.race.seed=" + runSeed, e);
            }
            runs++;
        } while (fixed == null && System.nanoTime() < deadline);
        assertTrue(runs > 0);
    }

    private void run(long seed) throws Exception {
        hyp = new RawHostHcalls(NR_CPUS, NR_PAGES);
        slots = new AtomicLongArray(NR_SLOTS);
        CyclicBarrier start = new CyclicBarrier(NR_CPUS);
        List<CompletableFuture<Void>> cpus = new ArrayList<>();
        for (int c = 0; c < NR_CPUS; c++) {
            int cpu = c;
            SplittableRandom rnd = new SplittableRandom(seed * 31 + c);
            cpus.add(CompletableFuture.runAsync(() -> {
                await(start);
                for (int i = 0; i < OPS_PER_RUN; i++) {
                    step(cpu, rnd);
                }
            }, command -> new Thread(command, "race-cpu" + cpu).start()));
        }
        for (CompletableFuture<Void> f : cpus) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertNull(hyp.machine.panic(), "the hypervisor panicked");
        checkOneOwner();
        for (long h : liveHandles()) {
            hyp.hvc(0, HostHcall.PKVM_START_TEARDOWN_VM, h); // 0, or -EINVAL if already dying
            assertEquals(0, hyp.hvc(0, HostHcall.PKVM_FINALIZE_TEARDOWN_VM, h), "finalize VM 0x" + Long.toHexString(h));
        }
        checkHostGotEverythingBack();
    }

    /** One random operation on CPU {@code cpu}; any errno is a legal answer, the end state is what is checked. */
    private void step(int cpu, SplittableRandom rnd) {
        int s = rnd.nextInt(NR_SLOTS);
        long h = slots.get(s);
        long pfn = BASE_PFN + rnd.nextInt(NR_PAGES);
        long gfn = rnd.nextInt(NR_GFNS);
        switch (rnd.nextInt(10)) {
            case 0, 1, 2, 3 -> {
                if (h == 0 || hyp.vms.get(h) == null) {
                    create(cpu, s, h);
                    return;
                }
                if (hyp.hvc(cpu, HostHcall.PKVM_VCPU_LOAD, h, rnd.nextInt(2)) != 0) {
                    return; // dying, gone, or the vCPU is loaded elsewhere
                }
                for (int i = rnd.nextInt(1, 4); i > 0; i--) {
                    runOnLoaded(cpu, s, rnd);
                }
                assertEquals(0, hyp.hvc(cpu, HostHcall.PKVM_VCPU_PUT));
            }
            case 4 -> hyp.hvc(cpu, HostHcall.PKVM_HOST_UNSHARE_GUEST, h, gfn, 1);
            case 5 -> hyp.hvc(cpu, HostHcall.PKVM_RECLAIM_DYING_GUEST_PAGE, h, gfn);
            case 6 -> hyp.hvc(cpu, HostHcall.PKVM_HOST_FORCE_RECLAIM_PAGE_GUEST, pfn * PAGE);
            case 7 -> hyp.hvc(cpu, HostHcall.PKVM_START_TEARDOWN_VM, h);
            default -> {
                if (h != 0 && hyp.hvc(cpu, HostHcall.PKVM_FINALIZE_TEARDOWN_VM, h) == 0) {
                    // Handles are reused, as the kernel's: h may have named a newer VM in another
                    // slot, which then keeps a dead handle until a create replaces it.
                    slots.compareAndSet(s, h, 0);
                }
            }
        }
    }

    /** A new VM in slot {@code s}, which held {@code old} (none, or a VM since finalized). */
    private void create(int cpu, int s, long old) {
        long h = hyp.hvc(cpu, HostHcall.PKVM_RESERVE_VM);
        assertTrue(h > 0, "reserve: " + h);
        assertEquals(0, hyp.hvc(cpu, HostHcall.PKVM_INIT_VM, h, 2, s == 1 ? 0 : 1));
        // Whether or not the slot takes it: another CPU may fill the slot first, or a stale handle
        // tear this VM down; the end of the run tears down every VM the table still holds.
        slots.compareAndSet(s, old, h);
    }

    /** The handles of every VM in the hypervisor's table, whatever the slots say. */
    private List<Long> liveHandles() {
        List<Long> live = new ArrayList<>();
        for (long h = VmTable.HANDLE_OFFSET; h < VmTable.HANDLE_OFFSET + VmTable.MAX_VMS; h++) {
            if (hyp.vms.get(h) != null) {
                live.add(h);
            }
        }
        return live;
    }

    /** A share, donation, refill or guest MEM_SHARE / MEM_UNSHARE through the vCPU loaded on {@code cpu}. */
    private void runOnLoaded(int cpu, int s, SplittableRandom rnd) {
        long pfn = BASE_PFN + rnd.nextInt(NR_PAGES);
        long gfn = rnd.nextInt(NR_GFNS);
        if (s == 1) {
            hyp.hvc(cpu, HostHcall.PKVM_HOST_SHARE_GUEST, pfn, gfn, 1, Prot.RWX);
            return;
        }
        switch (rnd.nextInt(4)) {
            case 0 -> hyp.hvc(cpu, HostHcall.PKVM_REFILL_MEMCACHE, pfn * PAGE, 1);
            case 1 -> hyp.hvc(cpu, HostHcall.PKVM_HOST_DONATE_GUEST, pfn, gfn);
            default -> hyp.hvc(cpu, HostHcall.PKVM_VCPU_GUEST_HVC, 0,
                    rnd.nextBoolean() ? GuestVcpus.MEM_SHARE : GuestVcpus.MEM_UNSHARE, gfn * PAGE);
        }
    }

    /**
     * Quiescent: each page is the host's, EL2's, or one VM's, or shared from one owner; the host's
     * view (state, annotation, share count) and every live VM's stage-2 agree.
     */
    private void checkOneOwner() {
        int[] sharedWithNp = new int[NR_PAGES];
        int[] guestRefs = new int[NR_PAGES];
        for (long h : liveHandles()) {
            HypVm vm = hyp.vms.get(h);
            for (long gfn : vm.gfns()) {
                GuestState g = vm.state(gfn);
                if (g == GuestState.POISON) {
                    continue;
                }
                long pfn = vm.pfn(gfn);
                int i = (int) (pfn - BASE_PFN);
                long w = hyp.mp.mem.pageWord(pfn);
                String at = "VM 0x%x gfn %d -> pfn 0x%x %s, host word 0x%x".formatted(h, gfn, pfn, g, w);
                switch (g) {
                    case OWNED -> {
                        assertEquals(PageState.NOPAGE, HypPage.hostState(w), at);
                        assertEquals(OwnerId.GUEST, HypPage.annotationOwner(w), at);
                        assertEquals(h, HypPage.guestHandle(w), at);
                        assertEquals(gfn, HypPage.guestGfn(w), at);
                        guestRefs[i]++;
                    }
                    case SHARED_OWNED -> {
                        assertEquals(PageState.SHARED_BORROWED, HypPage.hostState(w), at);
                        guestRefs[i]++;
                    }
                    case SHARED_BORROWED -> {
                        assertEquals(PageState.SHARED_OWNED, HypPage.hostState(w), at);
                        sharedWithNp[i]++;
                    }
                    default -> throw new AssertionError("unexpected guest state, " + at);
                }
            }
        }
        for (int i = 0; i < NR_PAGES; i++) {
            long pfn = BASE_PFN + i;
            long w = hyp.mp.mem.pageWord(pfn);
            String at = "pfn 0x%x, host word 0x%x".formatted(pfn, w);
            assertTrue(guestRefs[i] <= 1, "one guest owner at most, " + at);
            PageState host = HypPage.hostState(w);
            if (host != PageState.NOPAGE) { // else the count's bits hold a guest annotation's gfn
                assertEquals(sharedWithNp[i], HypPage.shareGuestCount(w), "the share count is the np mappings, " + at);
            }
            PageState el2 = hyp.mp.hypState(pfn);
            switch (host) {
                case OWNED -> assertEquals(0, guestRefs[i] + sharedWithNp[i], "the host's alone, " + at);
                case SHARED_OWNED -> assertTrue(sharedWithNp[i] > 0 && guestRefs[i] == 0, "shared by the host only, " + at);
                case SHARED_BORROWED -> assertEquals(1, guestRefs[i], "a guest's page shared with the host, " + at);
                case NOPAGE -> {
                    if (HypPage.annotationOwner(w) == OwnerId.GUEST) {
                        assertEquals(1, guestRefs[i], "annotated to a live VM that maps it, " + at);
                    } else {
                        assertEquals(OwnerId.HYP, HypPage.annotationOwner(w), at);
                        assertEquals(PageState.OWNED, el2, "EL2's (a memcache or table page), " + at);
                        assertEquals(0, guestRefs[i] + sharedWithNp[i], at);
                    }
                }
                default -> throw new AssertionError("unexpected host state, " + at);
            }
            if (el2 == PageState.OWNED) {
                assertEquals(PageState.NOPAGE, host, "EL2 owns it alone, " + at);
            }
        }
    }

    /** After every VM's finalize: every page is the host's, owned, unshared, annotated to no one. */
    private void checkHostGotEverythingBack() {
        for (int i = 0; i < NR_PAGES; i++) {
            long pfn = BASE_PFN + i;
            long w = hyp.mp.mem.pageWord(pfn);
            String at = "pfn 0x%x, host word 0x%x".formatted(pfn, w);
            assertEquals(PageState.OWNED, HypPage.hostState(w), at);
            assertEquals(PageState.NOPAGE, hyp.mp.hypState(pfn), at);
            assertEquals(0, HypPage.shareGuestCount(w), at);
            assertEquals(OwnerId.HOST, HypPage.annotationOwner(w), at);
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
