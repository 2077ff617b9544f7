package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/**
 * __pkvm_unmap_module_page looks the page up, donates it back and unmaps it under one hold of the
 * pgd lock: of several racing unmaps of one page exactly one succeeds and the others find nothing
 * mapped (-EINVAL), never a half-done state (a failed donation, -EPERM).
 */
class ModulePageUnmapRaceTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final long BASE_PFN = Dram.BASE / PAGE;
    static final int THREADS = 4;

    private final Machine machine = new Machine(new MachineConfig(1, 64 * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final HypVaSpace va = new HypVaSpace(mp, 1);

    /** Scenario: 100 rounds of four threads unmapping the same freshly mapped page. */
    @Test
    void racingUnmapsOfOnePageSucceedOnce() throws Exception {
        long pfn = BASE_PFN + 5;
        for (int round = 0; round < 100; round++) {
            long at = va.allocModuleVa(1);
            assertEquals(0, va.mapModulePage(pfn, at, Prot.RW, false));
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<CompletableFuture<Integer>> unmaps = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                unmaps.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return va.unmapModulePage(at, false);
                }));
            }
            int ok = 0;
            for (CompletableFuture<Integer> u : unmaps) {
                int ret = u.get();
                if (ret == 0) {
                    ok++;
                } else {
                    assertEquals(-Errno.EINVAL.code(), ret, "round " + round + ": a loser finds nothing mapped");
                }
            }
            assertEquals(1, ok, "round " + round);
            assertEquals(PageState.OWNED, mp.hostState(pfn));
            assertEquals(PageState.NOPAGE, mp.hypState(pfn));
            assertEquals(0, va.hypProt(at));
        }
    }
}
