package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code get_cpu()}/{@code put_cpu()}: a claimed CPU belongs to one thread until it is given back. */
class CpuClaimTest {
    private static final long TIMEOUT_S = 10;

    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void shutdown() {
        pool.shutdownNow();
    }

    @Test
    void twoThreadsHoldingAtOnceGetDifferentCpus() throws Exception {
        Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));
        CyclicBarrier bothHolding = new CyclicBarrier(2);
        CyclicBarrier bothChecked = new CyclicBarrier(2);
        Callable<Integer> claim = () -> {
            Cpu cpu = machine.getCpu();
            try {
                bothHolding.await(TIMEOUT_S, TimeUnit.SECONDS);
                bothChecked.await(TIMEOUT_S, TimeUnit.SECONDS);
                return cpu.id();
            } finally {
                machine.putCpu(cpu);
            }
        };
        Future<Integer> a = pool.submit(claim);
        Future<Integer> b = pool.submit(claim);
        assertNotEquals(a.get(TIMEOUT_S, TimeUnit.SECONDS), b.get(TIMEOUT_S, TimeUnit.SECONDS));
    }

    @Test
    void getCpuByIdClaimsThatCpuAndOthersAreSteeredAway() throws Exception {
        Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));
        Cpu held = machine.getCpu(1);
        assertEquals(1, held.id());
        try {
            // Whatever CPU the other thread prefers, CPU1 is taken: it must get CPU0.
            for (int i = 0; i < 3; i++) {
                int other = CompletableFuture.supplyAsync(() -> {
                    Cpu cpu = machine.getCpu();
                    machine.putCpu(cpu);
                    return cpu.id();
                }, pool).get(TIMEOUT_S, TimeUnit.SECONDS);
                assertEquals(0, other);
            }
        } finally {
            machine.putCpu(held);
        }
        // Given back, it can be claimed by id from another thread.
        Cpu again = CompletableFuture.supplyAsync(() -> {
            Cpu cpu = machine.getCpu(1);
            machine.putCpu(cpu);
            return cpu;
        }, pool).get(TIMEOUT_S, TimeUnit.SECONDS);
        assertSame(held, again);
    }

    @Test
    void aThreadGetsItsPreferredCpuBackAfterPutting() {
        Machine machine = new Machine(MachineConfig.defaults());
        Cpu first = machine.getCpu();
        machine.putCpu(first);
        Cpu second = machine.getCpu();
        machine.putCpu(second);
        assertSame(first, second);
    }

    @Test
    void getCpuByIdChecksTheRange() {
        Machine machine = new Machine(MachineConfig.defaults());
        assertThrows(IndexOutOfBoundsException.class, () -> machine.getCpu(4));
        assertThrows(IndexOutOfBoundsException.class, () -> machine.getCpu(-1));
    }
}
