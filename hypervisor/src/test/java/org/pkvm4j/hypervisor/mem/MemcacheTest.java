package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/**
 * The vCPU memcache behind __pkvm_host_donate_guest: a short memcache is -ENOMEM before any change,
 * the refill admits host pages all or nothing, stage-2 tables are taken only for new paths, and
 * teardown gives every table and memcache page back.
 */
class MemcacheTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final int NR_PAGES = 64;
    static final long BASE_PFN = Dram.BASE / PAGE;
    static final int ENOMEM = -Errno.ENOMEM.code();
    static final int EINVAL = -Errno.EINVAL.code();
    static final int EPERM = -Errno.EPERM.code();
    static final int MIN = HypVm.STAGE2_MIN_PAGES;

    private final Machine machine = new Machine(new MachineConfig(1, NR_PAGES * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final VmTable vms = new VmTable();
    private final GuestMemProtect gm = new GuestMemProtect(mp, vms);
    private final int vm = vms.reserveVm();
    private final long page = BASE_PFN + 1;

    MemcacheTest() {
        assertEquals(0, vms.initVm(vm, 2, true));
    }

    private long[] snapshot() {
        return mp.snapshot(BASE_PFN, NR_PAGES);
    }

    /**
     * Scenario: an empty memcache, then one a page short: each donation is -ENOMEM and leaves every
     * page word, the guest's stage-2 and the memcache as they were; one more page and it succeeds,
     * taking the three tables of the path.
     */
    @Test
    void aShortMemcacheIsEnomemBeforeAnyChange() {
        long[] before = snapshot();
        assertEquals(ENOMEM, gm.hostDonateGuest(page, 5, vm, 0));
        assertArrayEquals(before, snapshot());
        assertEquals(GuestState.NOPAGE, gm.guestState(vm, 5));
        Memcaches.seed(gm, vm, 0, BASE_PFN + 10, MIN - 1);
        before = snapshot();
        assertEquals(ENOMEM, gm.hostDonateGuest(page, 5, vm, 0), "one page short");
        assertArrayEquals(before, snapshot(), "nothing changed");
        assertArrayEquals(new int[] {MIN - 1, 0}, gm.memcacheAndTables(vm, 0));
        assertEquals(GuestState.NOPAGE, gm.guestState(vm, 5));
        assertEquals(ENOMEM, gm.hostDonateGuest(page, 5, vm, 1), "vCPU 1 has a memcache of its own, empty");

        Memcaches.seed(gm, vm, 0, BASE_PFN + 10 + MIN - 1, 1);
        assertEquals(0, gm.hostDonateGuest(page, 5, vm, 0));
        assertEquals(GuestState.OWNED, gm.guestState(vm, 5));
        assertEquals(PageState.NOPAGE, mp.hostState(page));
        assertArrayEquals(new int[] {0, MIN}, gm.memcacheAndTables(vm, 0), "a table per level below the root");
        for (int i = 0; i < MIN; i++) {
            assertEquals(PageState.OWNED, mp.hypState(BASE_PFN + 10 + i), "table pages are EL2's");
        }
    }

    /**
     * Scenario: the check is for the worst case: a gfn whose tables exist still needs a full
     * memcache, and takes nothing from it; a gfn 512 pages away needs a new level-3 table, one 2^18
     * pages away a new level-2 and level-3 table.
     */
    @Test
    void tablesAreTakenOnlyForNewPaths() {
        Memcaches.seed(gm, vm, 0, BASE_PFN + 10, MIN);
        assertEquals(0, gm.hostDonateGuest(page, 0, vm, 0));
        assertEquals(ENOMEM, gm.hostDonateGuest(page + 1, 1, vm, 0), "worst case: the memcache is empty");
        Memcaches.seed(gm, vm, 0, BASE_PFN + 20, MIN);
        assertEquals(0, gm.hostDonateGuest(page + 1, 1, vm, 0));
        assertArrayEquals(new int[] {MIN, MIN}, gm.memcacheAndTables(vm, 0), "the same path");
        assertEquals(0, gm.hostDonateGuest(page + 2, 512, vm, 0));
        assertArrayEquals(new int[] {MIN - 1, MIN + 1}, gm.memcacheAndTables(vm, 0), "a new level-3 table");
        Memcaches.seed(gm, vm, 0, BASE_PFN + 30, 1);
        assertEquals(0, gm.hostDonateGuest(page + 3, 1L << 18, vm, 0));
        assertArrayEquals(new int[] {MIN - 2, MIN + 3}, gm.memcacheAndTables(vm, 0), "new level-2 and level-3 tables");
    }

    /** Scenario: bad refills (misaligned, MMIO, not the host's, repeated, wrong vCPU, too many) change nothing. */
    @Test
    void refillChecksEveryPageFirst() {
        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 12, 1));
        long[] before = snapshot();
        assertEquals(EINVAL, gm.refillMemcache(vm, 0, (BASE_PFN + 10) * PAGE + 8, 1), "misaligned");
        assertEquals(EINVAL, gm.refillMemcache(vm, 0, Machine.UART_PA, 1), "MMIO");
        assertEquals(EPERM, gm.refillMemcache(vm, 0, (BASE_PFN + 12) * PAGE, 1), "EL2's page");
        assertEquals(EINVAL, gm.refillMemcache(vm, 2, (BASE_PFN + 10) * PAGE, 1), "no vCPU 2");
        assertEquals(EINVAL, gm.refillMemcache(vm + 1, 0, (BASE_PFN + 10) * PAGE, 1), "no such VM");
        assertEquals(EINVAL, gm.refillMemcache(vm, 0, (BASE_PFN + 10) * PAGE, GuestMemProtect.MAX_REFILL_PAGES + 1), "too many");
        // A list of two: the first page links to itself.
        machine.hostMemory().store64((BASE_PFN + 10) * PAGE, (BASE_PFN + 10) * PAGE);
        before = snapshot();
        assertEquals(EINVAL, gm.refillMemcache(vm, 0, (BASE_PFN + 10) * PAGE, 2), "a page listed twice");
        // A list of two whose second page is EL2's: the first is not admitted either.
        machine.hostMemory().store64((BASE_PFN + 10) * PAGE, (BASE_PFN + 12) * PAGE);
        before = snapshot();
        assertEquals(EPERM, gm.refillMemcache(vm, 0, (BASE_PFN + 10) * PAGE, 2));
        assertArrayEquals(before, snapshot(), "all or nothing");
        assertArrayEquals(new int[] {0, 0}, gm.memcacheAndTables(vm, 0));
        // A good list of two, and a count query.
        machine.hostMemory().store64((BASE_PFN + 10) * PAGE, (BASE_PFN + 11) * PAGE);
        assertEquals(2, gm.refillMemcache(vm, 0, (BASE_PFN + 10) * PAGE, 2));
        assertEquals(2, gm.refillMemcache(vm, 0, 0, 0));
        assertEquals(PageState.NOPAGE, mp.hostState(BASE_PFN + 11), "admitted: donated host->hyp");
    }

    /** Scenario: teardown returns the tables and what is left in every memcache to the host. */
    @Test
    void teardownGivesTablesAndMemcachesBack() {
        Memcaches.seed(gm, vm, 0, BASE_PFN + 10, MIN + 1);
        Memcaches.seed(gm, vm, 1, BASE_PFN + 20, 2);
        assertEquals(0, gm.hostDonateGuest(page, 3, vm, 0));
        assertEquals(0, vms.startTeardownVm(vm));
        assertEquals(EINVAL, gm.refillMemcache(vm, 0, (BASE_PFN + 30) * PAGE, 1), "a dying VM takes no pages");
        assertEquals(0, gm.finalizeTeardownVm(vm));
        for (long pfn = BASE_PFN; pfn < BASE_PFN + NR_PAGES; pfn++) {
            assertEquals(PageState.OWNED, mp.hostState(pfn), "pfn 0x" + Long.toHexString(pfn));
            assertEquals(PageState.NOPAGE, mp.hypState(pfn), "pfn 0x" + Long.toHexString(pfn));
        }
    }
}
