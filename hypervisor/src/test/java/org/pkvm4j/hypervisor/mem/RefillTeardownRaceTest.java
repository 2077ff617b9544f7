package org.pkvm4j.hypervisor.mem;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/**
 * pkvm_refill_memcache against a concurrent teardown: a refill that passed its first dying check
 * must not push pages into a VM that start + finalize teardown removed and drained, or they stay
 * EL2's for good. Every page must end host OWNED, hyp NOPAGE.
 */
class RefillTeardownRaceTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final int NR_PAGES = 64;
    static final long BASE_PFN = Dram.BASE / PAGE;
    static final long EINVAL = -Errno.EINVAL.code();

    private final Machine machine = new Machine(new MachineConfig(1, NR_PAGES * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final VmTable vms = new VmTable();
    private final GuestMemProtect gm = new GuestMemProtect(mp, vms);

    private void assertAllHostOwned() {
        for (long pfn = BASE_PFN; pfn < BASE_PFN + NR_PAGES; pfn++) {
            assertEquals(PageState.OWNED, mp.hostState(pfn), "host state of pfn 0x" + Long.toHexString(pfn));
            assertEquals(PageState.NOPAGE, mp.hypState(pfn), "hyp state of pfn 0x" + Long.toHexString(pfn));
        }
    }

    /**
     * Scenario (deterministic): the refill has passed its unlocked check and holds the host lock when
     * the teardown starts; it must see the VM dying before it donates, answer -EINVAL and change no
     * page; the finalize then leaves every page the host's.
     */
    @Test
    void aRefillThatMeetsAStartedTeardownDonatesNothing() throws Exception {
        int vm = vms.reserveVm();
        assertEquals(0, vms.initVm(vm, 1, true));
        HypVm hypVm = gm.vm(vm);
        hypVm.lock.lock();
        CompletableFuture<Long> refill;
        try {
            refill = CompletableFuture.supplyAsync(() -> gm.refillMemcache(vm, 0, (BASE_PFN + 10) * PAGE, 1));
            // The refill is past its first check and waits for the VM lock under the host lock.
            await().atMost(Duration.ofSeconds(10)).until(hypVm.lock::hasQueuedThreads);
            assertEquals(0, vms.startTeardownVm(vm));
        } finally {
            hypVm.lock.unlock();
        }
        assertEquals(EINVAL, refill.get());
        assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + 10), "not donated");
        assertEquals(0, gm.finalizeTeardownVm(vm));
        assertAllHostOwned();
    }

    /**
     * Scenario (a race, many rounds): one thread refills a VM page by page while another starts and
     * finalizes its teardown; whichever wins each round, no page is left EL2's.
     */
    @Test
    void refillRacingTeardownLeavesEveryPageTheHosts() throws Exception {
        for (int round = 0; round < 200; round++) {
            int vm = vms.reserveVm();
            assertEquals(0, vms.initVm(vm, 1, true));
            CyclicBarrier start = new CyclicBarrier(2);
            CompletableFuture<Void> refiller = CompletableFuture.runAsync(() -> {
                arrive(start);
                for (int i = 0; i < 8; i++) {
                    long ret = gm.refillMemcache(vm, 0, (BASE_PFN + 10 + i) * PAGE, 1);
                    if (ret < 0) {
                        assertEquals(EINVAL, ret, "only a dying or removed VM refuses");
                        return;
                    }
                }
            });
            arrive(start);
            assertEquals(0, vms.startTeardownVm(vm));
            assertEquals(0, gm.finalizeTeardownVm(vm));
            refiller.get();
            assertAllHostOwned();
        }
    }

    private static void arrive(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
