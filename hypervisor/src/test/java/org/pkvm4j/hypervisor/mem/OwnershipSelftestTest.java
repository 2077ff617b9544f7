package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EBUSY;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EPERM;

import org.junit.jupiter.api.Test;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/**
 * The host/hyp steps of the kernel's ownership selftest ({@code pkvm_ownership_selftest}, PKVM.md
 * §4.6): steps 1 to 4 and 11, asserting the exact return value and the exact (host, hyp) states and
 * pin count after every call.
 *
 * <p>Left out until the calls exist: every FF-A call ({@code __pkvm_host_share_ffa} / {@code
 * unshare_ffa}, step 5 and its -EPERM probes in steps 1 to 4), every guest call ({@code
 * __pkvm_host_share_guest}, {@code __pkvm_host_unshare_guest} with its -ENOENT probes, steps 6 to 10)
 * and the guest states of the assertions. Steps 5 to 10 start and end at host OWNED / hyp NOPAGE, so
 * step 11 follows step 4 directly here.
 */
class OwnershipSelftestTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;

    private final Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final long pfn = Dram.BASE / PAGE + 5;
    private final long virt = pfn * PAGE; // the hyp linear map is the identity in pkvm4j
    private final long size = PAGE;
    private PageState host;
    private PageState hyp;

    private void assertPageState() {
        assertEquals(host, mp.hostState(pfn), "host");
        assertEquals(hyp, mp.hypState(pfn), "hyp");
        assertEquals(host.isAccessible(), machine.hostMemory().isAccessible(virt), "host stage-2 access");
    }

    private void assertTransitionRes(int expected, int actual) {
        assertEquals(expected, actual);
        assertPageState();
    }

    @Test
    void hostAndHypSteps() {
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

        // 2. hyp_donate_host: the host owns it; repeats are refused.
        host = PageState.OWNED;
        hyp = PageState.NOPAGE;
        assertTransitionRes(0, mp.hypDonateHost(pfn, 1));
        assertTransitionRes(EPERM, mp.hypDonateHost(pfn, 1));
        assertTransitionRes(EPERM, mp.hostUnshareHyp(pfn));
        assertTransitionRes(EPERM, mp.hypPinSharedMem(virt, virt + size));

        // 3. host_share_hyp: shared-owned / shared-borrowed; re-share and donations refused.
        host = PageState.SHARED_OWNED;
        hyp = PageState.SHARED_BORROWED;
        assertTransitionRes(0, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, mp.hypDonateHost(pfn, 1));

        // 4. Pin twice, unpin once: unshare is -EBUSY; the last unpin lets it through.
        assertTransitionRes(0, mp.hypPinSharedMem(virt, virt + size));
        assertTransitionRes(0, mp.hypPinSharedMem(virt, virt + size));
        mp.hypUnpinSharedMem(virt, virt + size);
        assertEquals(1, mp.pinCount(pfn));
        assertTransitionRes(EBUSY, mp.hostUnshareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostShareHyp(pfn));
        assertTransitionRes(EPERM, mp.hostDonateHyp(pfn, 1));
        assertTransitionRes(EPERM, mp.hypDonateHost(pfn, 1));
        mp.hypUnpinSharedMem(virt, virt + size);
        assertPageState();
        assertEquals(0, mp.pinCount(pfn));
        assertFalse(mp.isHypMapped(pfn));

        host = PageState.OWNED;
        hyp = PageState.NOPAGE;
        assertTransitionRes(0, mp.hostUnshareHyp(pfn));

        // (5-10: FF-A and guest steps, not ported; they end at host OWNED / hyp NOPAGE.)

        // 11. host_donate_hyp: back to the initial state.
        host = PageState.NOPAGE;
        hyp = PageState.OWNED;
        assertTransitionRes(0, mp.hostDonateHyp(pfn, 1));
        assertTrue(mp.isHypMapped(pfn));
    }
}
