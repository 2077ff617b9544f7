package org.pkvm4j.hypervisor.mem;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;

/**
 * The guest-memory edges checked against the kernel (issue 11 item 3): block-granule unshares,
 * transitions racing a teardown, and what the finalize gives back. Each test names the kernel
 * function it follows.
 */
class GuestMemEdgesTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final int BLOCK = GuestMemProtect.BLOCK_PAGES;
    /** Two 2 MiB blocks: the first pfn of DRAM is block-aligned. */
    private static final int NR_PAGES = 2 * BLOCK;
    private static final long BASE_PFN = Dram.BASE / PAGE;
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int ENOENT = -Errno.ENOENT.code();
    private static final int E2BIG = -Errno.E2BIG.code();
    private static final int EPERM = -Errno.EPERM.code();

    private final Machine machine = new Machine(new MachineConfig(1, NR_PAGES * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final VmTable vms = new VmTable();
    private final GuestMemProtect gm = new GuestMemProtect(mp, vms);

    private int newVm(boolean isProtected) {
        int h = vms.reserveVm();
        assertEquals(0, vms.initVm(h, 1, isProtected));
        return h;
    }

    /**
     * {@code __pkvm_host_unshare_guest} → {@code __check_host_shared_guest}: the size must be the
     * granule of the leaf at the gfn. One page of a 2 MiB block share is -E2BIG (the kernel never
     * splits the block), and so is a block's worth of a one-page share; an unaligned block is
     * {@code __guest_check_transition_size}'s -EINVAL; nothing changes on any refusal.
     */
    @Test
    void anUnshareMustMatchTheLeafGranule() {
        int np = newVm(false);
        assertEquals(0, gm.hostShareGuest(BASE_PFN, BLOCK, BLOCK, np, Prot.RW));
        assertEquals(0, gm.hostShareGuest(BASE_PFN + BLOCK, 2 * BLOCK, 1, np, Prot.RW));
        long[] before = mp.snapshot(BASE_PFN, NR_PAGES);

        assertEquals(E2BIG, gm.hostUnshareGuest(BLOCK, 1, np), "the first page of the block");
        assertEquals(E2BIG, gm.hostUnshareGuest(BLOCK + 7, 1, np), "a page inside the block");
        assertEquals(E2BIG, gm.hostUnshareGuest(2 * BLOCK, BLOCK, np), "a block's worth of a one-page share");
        assertEquals(EINVAL, gm.hostUnshareGuest(BLOCK + 1, BLOCK, np), "an unaligned block");
        assertEquals(EINVAL, gm.hostUnshareGuest(BLOCK, 2, np), "neither a page nor a block");
        assertEquals(ENOENT, gm.hostUnshareGuest(3 * BLOCK, BLOCK, np), "nothing mapped at the gfn");
        assertArrayEquals(before, mp.snapshot(BASE_PFN, NR_PAGES), "the refusals changed nothing");
        assertEquals(GuestState.SHARED_BORROWED, gm.guestState(np, BLOCK + 7));

        assertEquals(0, gm.hostUnshareGuest(BLOCK, BLOCK, np), "the whole block");
        assertEquals(0, gm.hostUnshareGuest(2 * BLOCK, 1, np));
        for (long pfn = BASE_PFN; pfn < BASE_PFN + NR_PAGES; pfn++) {
            assertEquals(PageState.OWNED, mp.hostState(pfn), "pfn 0x" + Long.toHexString(pfn));
        }
        assertEquals(GuestState.NOPAGE, gm.guestState(np, BLOCK + 7));
    }

    /** {@code __pkvm_host_reclaim_page_guest}: a page inside a block leaf is -E2BIG, not taken page by page. */
    @Test
    void aReclaimInsideABlockIsE2big() {
        int np = newVm(false);
        assertEquals(0, gm.hostShareGuest(BASE_PFN, 0, BLOCK, np, Prot.RWX));
        assertEquals(E2BIG, gm.hostReclaimPageGuest(5, np));
        assertEquals(0, gm.hostShareGuest(BASE_PFN + BLOCK, BLOCK, 1, np, Prot.RWX));
        assertEquals(EPERM, gm.hostReclaimPageGuest(BLOCK, np), "a page leaf the host shares: the unshare's to end");
    }

    /**
     * {@code __pkvm_host_share_guest} racing {@code __pkvm_start_teardown_vm} + {@code
     * __pkvm_finalize_teardown_vm}: a share that passed its unlocked lookup and waits for the VM's
     * lock when the teardown starts must see the VM dying under the lock and change nothing, so no
     * page is left shared with a count of 1 and no VM behind it.
     */
    @Test
    void aShareThatMeetsAStartedTeardownSharesNothing() throws Exception {
        int np = newVm(false);
        assertRefusedOnceDying(np, () -> gm.hostShareGuest(BASE_PFN + 10, 3, 1, np, Prot.RW));
    }

    /**
     * {@code __pkvm_host_donate_guest} racing the teardown: as the share; no page is left owned by a
     * destroyed guest (which {@code __pkvm_host_force_reclaim_page_guest} would answer -EAGAIN for
     * good).
     */
    @Test
    void aDonationThatMeetsAStartedTeardownDonatesNothing() throws Exception {
        int p = newVm(true);
        Memcaches.seed(gm, p, 0, BASE_PFN + 100, HypVm.STAGE2_MIN_PAGES);
        assertRefusedOnceDying(p, () -> gm.hostDonateGuest(BASE_PFN + 10, 3, p));
    }

    private void assertRefusedOnceDying(int handle, IntSupplier transition) throws Exception {
        HypVm vm = gm.vm(handle);
        CompletableFuture<Integer> call;
        vm.lock.lock();
        try {
            call = CompletableFuture.supplyAsync(transition::getAsInt);
            // The transition is past its lookup and waits for the VM lock under the host lock.
            await().atMost(Duration.ofSeconds(10)).until(vm.lock::hasQueuedThreads);
            assertEquals(0, vms.startTeardownVm(handle));
        } finally {
            vm.lock.unlock();
        }
        assertEquals(EINVAL, call.get(), "a VM that is being torn down takes no page");
        assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + 10));
        assertEquals(0, gm.finalizeTeardownVm(handle));
        assertAllHostOwned();
    }

    /**
     * {@code __pkvm_finalize_teardown_vm}: pages the host never reclaimed come back to it (private
     * ones zeroed, shares ended, a block share too), where the kernel's {@code destroy_hyp_vm_pgt}
     * frees only the tables and leaves the leaves to the host's EL1 loop (ADR 0017).
     */
    @Test
    void finalizingReclaimsWhatTheHostDidNotReclaim() {
        int p = newVm(true);
        int np = newVm(false);
        Memcaches.seed(gm, p, 0, BASE_PFN + 100, 2 * HypVm.STAGE2_MIN_PAGES);
        assertEquals(0, gm.hostDonateGuest(BASE_PFN + 10, 1, p));
        assertEquals(0, gm.hostDonateGuest(BASE_PFN + 11, 2, p));
        assertEquals(0, gm.guestShareHost(p, 2));
        mp.mem.store64((BASE_PFN + 10) * PAGE, 0x5EC2E7L);
        assertEquals(0, gm.hostShareGuest(BASE_PFN + BLOCK, 0, BLOCK, np, Prot.RW));
        assertEquals(0, gm.hostShareGuest(BASE_PFN + 20, BLOCK, 1, np, Prot.RW));
        assertEquals(0, gm.hostShareGuest(BASE_PFN + 20, BLOCK + 1, 1, np, Prot.RW), "shared twice: count 2");

        assertEquals(0, vms.startTeardownVm(p));
        assertEquals(0, vms.startTeardownVm(np));
        assertEquals(0, gm.finalizeTeardownVm(p));
        assertEquals(0, gm.finalizeTeardownVm(np));
        assertAllHostOwned();
        assertEquals(0, machine.hostMemory().load64((BASE_PFN + 10) * PAGE), "the private page was zeroed");
    }

    private void assertAllHostOwned() {
        for (long pfn = BASE_PFN; pfn < BASE_PFN + NR_PAGES; pfn++) {
            long w = mp.mem.pageWord(pfn);
            String at = "pfn 0x" + Long.toHexString(pfn);
            assertEquals(PageState.OWNED, HypPage.hostState(w), at);
            assertEquals(PageState.NOPAGE, mp.hypState(pfn), at);
            assertEquals(0, HypPage.shareGuestCount(w), at);
            assertEquals(OwnerId.HOST, HypPage.annotationOwner(w), at);
        }
    }
}
