package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The once-only privileged capabilities and the HVC path into the installed vector. */
class MachineTest {
    private final Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));

    @Test
    void hasTheConfiguredCpusInOrder() {
        assertEquals(2, machine.nrCpus());
        assertEquals(List.of(0, 1), machine.cpus().stream().map(Cpu::id).toList());
        assertEquals(2, machine.config().nrCpus());
    }

    @Test
    void hypPlatformIsHandedOutOnce() {
        HypPlatform platform = machine.takeHypPlatform();
        assertNotNull(platform);
        assertEquals(2, platform.nrCpus());
        assertSame(machine.uart(), platform.uart());
        assertThrows(IllegalStateException.class, machine::takeHypPlatform);
    }

    @Test
    void el2VectorCanBeInstalledOnce() {
        assertFalse(machine.hasEl2Vector());
        machine.installEl2Vector(cpu -> { });
        assertTrue(machine.hasEl2Vector());
        assertThrows(IllegalStateException.class, () -> machine.installEl2Vector(cpu -> { }));
    }

    @Test
    void nullVectorIsRefusedAndDoesNotCountAsInstalled() {
        assertThrows(NullPointerException.class, () -> machine.installEl2Vector(null));
        assertFalse(machine.hasEl2Vector());
    }

    @Test
    void hvcWithoutAVectorIsUndefined() {
        Cpu cpu = machine.getCpu();
        try {
            assertThrows(IllegalStateException.class, cpu::hvc);
        } finally {
            machine.putCpu(cpu);
        }
    }

    @Test
    void hvcEntersTheVectorWithTheTrappingCpuAndItsRegisters() {
        HypPlatform platform = machine.takeHypPlatform();
        List<Cpu> entered = new ArrayList<>();
        List<Cpu> current = new ArrayList<>();
        machine.installEl2Vector(cpu -> {
            entered.add(cpu);
            current.add(platform.currentCpu());
            cpu.regs().set(1, cpu.regs().get(0) + 1);
        });
        Cpu cpu = machine.getCpu(1);
        try {
            cpu.regs().set(0, 41);
            cpu.hvc();
            assertEquals(42, cpu.regs().get(1));
            assertSame(cpu.regs(), cpu.hostContext().regs());
        } finally {
            machine.putCpu(cpu);
        }
        assertEquals(List.of(cpu), entered);
        assertEquals(List.of(cpu), current);
    }
}
