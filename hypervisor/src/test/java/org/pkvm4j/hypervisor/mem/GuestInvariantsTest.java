package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;

/**
 * Random guest transitions from several threads on 16 pages, a protected and a non-protected VM,
 * with fixed seeds: after every few steps, on a snapshot taken under the host lock and both VM locks,
 * every page has exactly one owner and the host and guest views agree (a guest annotation names the
 * one VM that maps the page OWNED; a host SHARED_BORROWED page is mapped SHARED_OWNED by exactly one
 * VM; a host share count equals the number of SHARED_BORROWED mappings); a page is host-accessible
 * iff its host state allows it. At the end, teardown leaves every page host-owned and unshared, and
 * every page that was guest-private zeroed.
 */
class GuestInvariantsTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final int NR_PAGES = 16;
    private static final int NR_GFNS = 8;
    private static final long BASE_PFN = Dram.BASE / PAGE;
    /** Pages above the random ones for the protected VM's memcache: every gfn shares one path of tables. */
    private static final int MEMCACHE_PAGES = 2 * HypVm.STAGE2_MIN_PAGES;

    private final Machine machine = new Machine(new MachineConfig(4, (NR_PAGES + MEMCACHE_PAGES) * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final VmTable vms = new VmTable();
    private final GuestMemProtect gm = new GuestMemProtect(mp, vms);
    private final int pvm = vms.reserveVm();
    private final int npvm = vms.reserveVm();

    GuestInvariantsTest() {
        assertEquals(0, vms.initVm(pvm, 1, true));
        assertEquals(0, vms.initVm(npvm, 1, false));
        Memcaches.seed(gm, pvm, 0, BASE_PFN + NR_PAGES, MEMCACHE_PAGES);
    }

    private void checkInvariants() {
        HypVm[] all = {vms.get(pvm), vms.get(npvm)};
        mp.hostLock.lock();
        all[0].lock.lock();
        all[1].lock.lock();
        try {
            int[] owned = new int[NR_PAGES];
            int[] sharedOwned = new int[NR_PAGES];
            int[] borrowed = new int[NR_PAGES];
            for (HypVm vm : all) {
                for (long gfn : vm.gfns()) {
                    int i = (int) (vm.pfn(gfn) - BASE_PFN);
                    switch (vm.state(gfn)) {
                        case OWNED -> {
                            owned[i]++;
                            long w = mp.mem.pageWord(BASE_PFN + i);
                            assertEquals(OwnerId.GUEST, HypPage.annotationOwner(w));
                            assertEquals(vm.handle, HypPage.guestHandle(w));
                            assertEquals(gfn, HypPage.guestGfn(w));
                        }
                        case SHARED_OWNED -> sharedOwned[i]++;
                        case SHARED_BORROWED -> borrowed[i]++;
                        default -> { }
                    }
                }
            }
            for (int i = 0; i < NR_PAGES; i++) {
                long w = mp.mem.pageWord(BASE_PFN + i);
                String at = "page " + i + ": " + HypPage.describe(w);
                assertEquals(PageState.NOPAGE, HypPage.hypState(w), at);
                PageState host = HypPage.hostState(w);
                assertEquals(host == PageState.NOPAGE ? 1 : 0, owned[i], "guest owners, " + at);
                assertEquals(host == PageState.SHARED_BORROWED ? 1 : 0, sharedOwned[i], "guest sharers, " + at);
                assertEquals(host == PageState.SHARED_OWNED ? HypPage.shareGuestCount(w) : 0, borrowed[i], "borrowers, " + at);
                assertTrue(host != PageState.SHARED_OWNED || HypPage.shareGuestCount(w) > 0, at);
                assertEquals(host.isAccessible(), machine.hostMemory().isAccessible((BASE_PFN + i) * PAGE), at);
            }
        } finally {
            all[1].lock.unlock();
            all[0].lock.unlock();
            mp.hostLock.unlock();
        }
    }

    private void randomSteps(long seed, int steps) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int s = 0; s < steps; s++) {
            long pfn = BASE_PFN + rnd.nextInt(NR_PAGES);
            long gfn = rnd.nextInt(NR_GFNS);
            switch (rnd.nextInt(7)) {
                case 0 -> {
                    if (gm.hostDonateGuest(pfn, gfn, pvm) == 0) {
                        // The guest writes to its new page (possible only while it is the guest's).
                        mp.mem.store64(pfn * PAGE, 0xD1A7L);
                    }
                }
                case 1 -> gm.hostShareGuest(pfn, gfn, 1, npvm, Prot.RWX);
                case 2 -> gm.hostUnshareGuest(gfn, 1, npvm);
                case 3 -> gm.guestShareHost(pvm, gfn);
                case 4 -> gm.guestUnshareHost(pvm, gfn);
                case 5 -> gm.hostForceReclaimPageGuest(pfn * PAGE);
                default -> gm.hostReclaimPageGuest(gfn, pvm);
            }
            if (s % 25 == 0) {
                checkInvariants();
            }
        }
    }

    @Test
    void singleThreaded() {
        randomSteps(42, 5_000);
        checkInvariants();
        assertEquals(HypVm.STAGE2_MIN_PAGES, gm.memcacheAndTables(pvm, 0)[1], "donations happened and built the tables");
        teardownLeavesEverythingToTheHost();
    }

    @Test
    void fourThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = 1000 + t;
                done.add(pool.submit(() -> randomSteps(seed, 3_000)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        checkInvariants();
        teardownLeavesEverythingToTheHost();
    }

    private void teardownLeavesEverythingToTheHost() {
        boolean[] wasPrivate = new boolean[NR_PAGES];
        for (int i = 0; i < NR_PAGES; i++) {
            wasPrivate[i] = mp.hostState(BASE_PFN + i) == PageState.NOPAGE;
        }
        assertEquals(0, vms.startTeardownVm(pvm));
        assertEquals(0, vms.startTeardownVm(npvm));
        assertEquals(0, gm.finalizeTeardownVm(pvm));
        assertEquals(0, gm.finalizeTeardownVm(npvm));
        for (int i = 0; i < NR_PAGES; i++) {
            long w = mp.snapshot(BASE_PFN + i, 1)[0];
            assertEquals(PageState.OWNED, HypPage.hostState(w), "page " + i);
            assertEquals(0, HypPage.shareGuestCount(w), "page " + i);
            assertTrue(machine.hostMemory().isAccessible((BASE_PFN + i) * PAGE));
            if (wasPrivate[i]) {
                assertEquals(0, machine.hostMemory().load64((BASE_PFN + i) * PAGE), "private page " + i + " zeroed");
            }
        }
        for (int i = NR_PAGES; i < NR_PAGES + MEMCACHE_PAGES; i++) {
            assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + i), "memcache or table page " + i + " is the host's again");
            assertEquals(PageState.NOPAGE, mp.hypState(BASE_PFN + i), "memcache or table page " + i);
        }
    }
}
