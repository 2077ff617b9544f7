package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class CpuPinTest {
    private final Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));

    @Test
    void pinnedThreadGetsItsCpuOnEveryTrapAndOthersGetAnother() throws Exception {
        try (CpuPin pin = machine.pinCurrentThread()) {
            Cpu first = machine.getCpu();
            machine.putCpu(first);
            Cpu second = machine.getCpu();
            machine.putCpu(second);
            assertSame(pin.cpu(), first);
            assertSame(first, second, "put_cpu keeps a pinned CPU");
            int other = CompletableFuture.supplyAsync(() -> {
                Cpu cpu = machine.getCpu();
                machine.putCpu(cpu);
                return cpu.id();
            }).get();
            assertNotEquals(pin.cpu().id(), other, "no other thread traps on a pinned CPU");
            assertThrows(IllegalStateException.class, machine::pinCurrentThread, "one pin per thread");
        }
        // Unpinned: both CPUs are free again, for another thread to pin.
        int pinnedElsewhere = CompletableFuture.supplyAsync(() -> {
            try (CpuPin pin = machine.pinCurrentThread()) {
                return pin.cpu().id();
            }
        }).get();
        assertEquals(true, pinnedElsewhere >= 0 && pinnedElsewhere < 2);
    }

    @Test
    void onlyThePinningThreadCanUnpin() throws Exception {
        CpuPin pin = machine.pinCurrentThread();
        Exception e = CompletableFuture.supplyAsync(() -> {
            try {
                pin.close();
                return null;
            } catch (IllegalStateException expected) {
                return expected;
            }
        }).get();
        assertEquals(IllegalStateException.class, e.getClass());
        pin.close();
    }

    @Test
    void aPinnedThreadCanStillRunOnAnotherCpuByNumber() {
        try (CpuPin pin = machine.pinCurrentThread()) {
            int otherId = 1 - pin.cpu().id();
            Cpu other = machine.getCpu(otherId);
            assertEquals(otherId, other.id());
            machine.putCpu(other);
            Cpu again = machine.getCpu(pin.cpu().id());
            assertSame(pin.cpu(), again);
            machine.putCpu(again);
        }
    }
}
