package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EBUSY;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EPERM;

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
 * The kernel's ownership selftest ({@code pkvm_ownership_selftest}, PKVM.md §4.6): steps 1 to 11,
 * asserting the exact return value and the exact (host, hyp, guest[gfn], guest[gfn + 1]) states
 * after every call. The FF-A calls of step 5 are EL2-internal in pkvm4j (there is no secure world
 * to lend to), so they are called here directly, as the selftest does.
 */
class OwnershipSelftestTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final int ENOENT = -Errno.ENOENT.code();
    private static final int EAGAIN = -Errno.EAGAIN.code();
    private static final int EHWPOISON = -Errno.EHWPOISON.code();

    private final Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final VmTable vms = new VmTable();
    private final GuestMemProtect gm = new GuestMemProtect(mp, vms);
    private final long pfn = Dram.BASE / PAGE + 5;
    private final long virt = pfn * PAGE; // the hyp linear map is the identity in pkvm4j
    private final long phys = virt;
    private final long size = PAGE;
    private final long gfn = 0x10;
    private long vm;
    private PageState host;
    private PageState hyp;
    private GuestState guest0 = GuestState.NOPAGE;
    private GuestState guest1 = GuestState.NOPAGE;

    private void assertPageState() {
        assertEquals(host, mp.hostState(pfn), "host");
        assertEquals(hyp, mp.hypState(pfn), "hyp");
        assertEquals(guest0, gm.guestState(vm, gfn), "guest[gfn]");
        assertEquals(guest1, gm.guestState(vm, gfn + 1), "guest[gfn + 1]");
        assertEquals(host.isAccessible(), machine.hostMemory().isAccessible(virt), "host stage-2 access");
    }

    private void assertTransitionRes(int expected, int actual) {
        assertEquals(expected, actual);
        assertPageState();
    }

    /** Every host-initiated guest call from a state where the host does not own the page exclusively. */
    private void assertGuestCallsRefused() {
        assertTransitionRes(EPERM, gm.hostShareGuest(pfn, gfn, 1, vm, Prot.RWX));
        assertTransitionRes(EPERM, gm.hostDonateGuest(pfn, gfn, vm));
    }

    @Test
    void selftestSequence() {
        vm = vms.reserveVm();
        assertEquals(0, vms.initVm(vm, 1, true));
        // The selftest VM's vCPU memcache is seeded, so donations fail on states, not on memory.
        Memcaches.seed(gm, vm, 0, pfn + 3, 2 * HypVm.STAGE2_MIN_PAGES);

        // Setup: the selftest takes its page from the host stage-2 pool, which is hyp-owned.
        assertEquals(0, mp.hostDonateHyp(pfn, 1));
        host = PageState.NOPAGE;
        hyp = PageState.OWNED;
        assertPageState();

        // 1. From hyp-owned: every host-initiated call is refused.
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostUnshareHyp(pfn));
        assertTransitionRes(EPERM, mp.hypPinSharedMem(virt, virt + size));
        assertTransitionRes(EPERM, mp.hostShareFfa(pfn, 1));
        assertTransitionRes(EPERM, mp.hostUnshareFfa(pfn, 1));
        assertGuestCallsRefused();
        assertTransitionRes(ENOENT, gm.hostUnshareGuest(gfn, 1, vm));

        // 2. hyp_donate_host: the host owns it; repeats are refused.
        host = PageState.OWNED;
        hyp = PageState.NOPAGE;
        assertTransitionRes(0, mp.hypDonateHost(pfn, 1));
        assertTransitionRes(EPERM, mp.hypDonateHost(pfn, 1));
        assertTransitionRes(EPERM, mp.hostUnshareHyp(pfn));
        assertTransitionRes(EPERM, mp.hypPinSharedMem(virt, virt + size));
        assertTransitionRes(ENOENT, gm.hostUnshareGuest(gfn, 1, vm));

        // 3. host_share_hyp: shared-owned / shared-borrowed; re-share and donations refused.
        host = PageState.SHARED_OWNED;
        hyp = PageState.SHARED_BORROWED;
        assertTransitionRes(0, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, mp.hypDonateHost(pfn, 1));
        assertTransitionRes(EPERM, mp.hostShareFfa(pfn, 1));
        assertTransitionRes(EPERM, mp.hostUnshareFfa(pfn, 1));
        assertGuestCallsRefused();
        assertTransitionRes(ENOENT, gm.hostUnshareGuest(gfn, 1, vm));

        // 4. Pin twice, unpin once: unshare is -EBUSY; the last unpin lets it through.
        assertTransitionRes(0, mp.hypPinSharedMem(virt, virt + size));
        assertTransitionRes(0, mp.hypPinSharedMem(virt, virt + size));
        mp.hypUnpinSharedMem(virt, virt + size);
        assertEquals(1, mp.pinCount(pfn));
        assertTransitionRes(EBUSY, mp.hostUnshareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, mp.hypDonateHost(pfn, 1));
        assertGuestCallsRefused();
        mp.hypUnpinSharedMem(virt, virt + size);
        assertPageState();
        assertEquals(0, mp.pinCount(pfn));
        assertFalse(mp.isHypMapped(pfn));

        host = PageState.OWNED;
        hyp = PageState.NOPAGE;
        assertTransitionRes(0, mp.hostUnshareHyp(pfn));

        // 5. share_ffa: host SHARED_OWNED with no guest count, so share_guest is -EPERM; unshare_ffa.
        host = PageState.SHARED_OWNED;
        assertTransitionRes(0, mp.hostShareFfa(pfn, 1));
        assertTransitionRes(EPERM, mp.hostShareFfa(pfn, 1));
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostUnshareHyp(pfn));
        assertTransitionRes(EPERM, mp.hypDonateHost(pfn, 1));
        assertTransitionRes(EPERM, gm.hostShareGuest(pfn, gfn, 1, vm, Prot.RWX));
        assertTransitionRes(ENOENT, gm.hostUnshareGuest(gfn, 1, vm));
        assertTransitionRes(EPERM, mp.hypPinSharedMem(virt, virt + size));
        host = PageState.OWNED;
        assertTransitionRes(0, mp.hostUnshareFfa(pfn, 1));
        assertTransitionRes(EPERM, mp.hostUnshareFfa(pfn, 1));

        // 6. share_guest with two gfns: the count is 2; the first unshare keeps the host SHARED_OWNED.
        host = PageState.SHARED_OWNED;
        guest0 = GuestState.SHARED_BORROWED;
        assertTransitionRes(0, gm.hostShareGuest(pfn, gfn, 1, vm, Prot.RWX));
        assertTransitionRes(EPERM, gm.hostShareGuest(pfn, gfn, 1, vm, Prot.RWX));
        guest1 = GuestState.SHARED_BORROWED;
        assertTransitionRes(0, gm.hostShareGuest(pfn, gfn + 1, 1, vm, Prot.RWX));
        assertEquals(2, HypPage.shareGuestCount(mp.snapshot(pfn, 1)[0]));
        assertTransitionRes(EPERM, mp.hostShareFfa(pfn, 1));
        assertTransitionRes(EPERM, mp.hostUnshareFfa(pfn, 1)); // shared with a guest, not lent through FF-A
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, gm.hostDonateGuest(pfn, gfn + 2, vm));
        guest0 = GuestState.NOPAGE;
        assertTransitionRes(0, gm.hostUnshareGuest(gfn, 1, vm));
        assertEquals(1, HypPage.shareGuestCount(mp.snapshot(pfn, 1)[0]));
        host = PageState.OWNED;
        guest1 = GuestState.NOPAGE;
        assertTransitionRes(0, gm.hostUnshareGuest(gfn + 1, 1, vm));
        assertEquals(0, HypPage.shareGuestCount(mp.snapshot(pfn, 1)[0]));
        assertTransitionRes(ENOENT, gm.hostUnshareGuest(gfn, 1, vm));

        // 7. donate_guest: host NOPAGE annotated for the guest, guest OWNED; any second donation or
        // share is refused.
        host = PageState.NOPAGE;
        guest0 = GuestState.OWNED;
        assertTransitionRes(0, gm.hostDonateGuest(pfn, gfn, vm));
        long w = mp.snapshot(pfn, 1)[0];
        assertEquals(OwnerId.GUEST, HypPage.annotationOwner(w));
        assertEquals(vm, HypPage.guestHandle(w));
        assertEquals(gfn, HypPage.guestGfn(w));
        assertTransitionRes(EPERM, gm.hostDonateGuest(pfn, gfn, vm));
        assertTransitionRes(EPERM, gm.hostDonateGuest(pfn, gfn + 1, vm));
        assertTransitionRes(EPERM, gm.hostShareGuest(pfn, gfn + 1, 1, vm, Prot.RWX));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, gm.hostUnshareGuest(gfn, 1, vm));
        assertTransitionRes(ENOENT, gm.guestShareHost(vm, gfn + 1));

        // 8. guest_share_host and back.
        host = PageState.SHARED_BORROWED;
        guest0 = GuestState.SHARED_OWNED;
        assertTransitionRes(0, gm.guestShareHost(vm, gfn));
        assertTransitionRes(EPERM, gm.guestShareHost(vm, gfn));
        assertTransitionRes(EPERM, gm.hostDonateGuest(pfn, gfn + 1, vm));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        host = PageState.NOPAGE;
        guest0 = GuestState.OWNED;
        assertTransitionRes(0, gm.guestUnshareHost(vm, gfn));
        assertTransitionRes(EPERM, gm.guestUnshareHost(vm, gfn));
        assertEquals(OwnerId.GUEST, HypPage.annotationOwner(mp.snapshot(pfn, 1)[0]));

        // 9. force_reclaim: host OWNED, the page zeroed, guest POISON; the gfn is unusable.
        mp.mem.store64(phys + 8, 0x5EC2E7L);
        host = PageState.OWNED;
        guest0 = GuestState.POISON;
        assertTransitionRes(0, gm.hostForceReclaimPageGuest(phys));
        assertEquals(0, machine.hostMemory().load64(phys + 8), "poisoned page zeroed");
        assertTransitionRes(EAGAIN, gm.hostForceReclaimPageGuest(phys));
        assertTransitionRes(EPERM, gm.hostDonateGuest(pfn, gfn, vm));
        assertTransitionRes(EPERM, gm.hostShareGuest(pfn, gfn, 1, vm, Prot.RWX));
        assertTransitionRes(EHWPOISON, gm.guestShareHost(vm, gfn));
        assertTransitionRes(EHWPOISON, gm.guestUnshareHost(vm, gfn));

        // 10. donate_guest(gfn + 1) then reclaim_page_guest(gfn + 1): host OWNED, guest NOPAGE.
        host = PageState.NOPAGE;
        guest1 = GuestState.OWNED;
        assertTransitionRes(0, gm.hostDonateGuest(pfn, gfn + 1, vm));
        host = PageState.OWNED;
        guest1 = GuestState.NOPAGE;
        assertTransitionRes(0, gm.hostReclaimPageGuest(gfn + 1, vm));
        assertTransitionRes(ENOENT, gm.hostReclaimPageGuest(gfn + 1, vm));

        // 11. host_donate_hyp: back to the initial state.
        host = PageState.NOPAGE;
        hyp = PageState.OWNED;
        assertTransitionRes(0, mp.hostDonateHyp(pfn, 1));
        assertTrue(mp.isHypMapped(pfn));
    }
}
