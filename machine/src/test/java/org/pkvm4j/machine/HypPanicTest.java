package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A hyp panic halts the machine: every later trap fails with the recorded report. */
class HypPanicTest {
    private final Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final AtomicInteger trapsTaken = new AtomicInteger();

    HypPanicTest() {
        machine.installEl2Vector(cpu -> trapsTaken.incrementAndGet());
    }

    @Test
    void everyHvcAfterAPanicThrowsWithTheReportAndNeverEntersEl2() {
        List<HypPanic> heard = new ArrayList<>();
        machine.onHypPanic(heard::add);
        Cpu cpu0 = machine.cpus().get(0);
        assertNull(machine.panic());

        platform.panic(cpu0, "bad things", new IllegalStateException("the cause"));

        HypPanic report = machine.panic();
        assertEquals(0, report.cpu());
        assertEquals("bad things", report.reason());
        assertTrue(report.detail().contains("IllegalStateException: the cause"), report.detail());
        assertEquals(List.of(report), heard);

        for (int id = 0; id < machine.nrCpus(); id++) {
            Cpu cpu = machine.getCpu(id);
            try {
                HypPanicException e = assertThrows(HypPanicException.class, cpu::hvc);
                assertSame(report, e.panic());
                assertEquals("HYP panic on CPU0: bad things", e.getMessage());
            } finally {
                machine.putCpu(cpu);
            }
        }
        assertEquals(0, trapsTaken.get());
    }

    @Test
    void theFirstPanicWinsAndListenersHearItOnce() {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        machine.onHypPanic(p -> first.incrementAndGet());
        machine.onHypPanic(p -> second.incrementAndGet());

        platform.panic(machine.cpus().get(1), "first", null);
        platform.panic(machine.cpus().get(0), "second", new RuntimeException());

        assertEquals(1, first.get());
        assertEquals(1, second.get());
        assertEquals("first", machine.panic().reason());
        assertEquals(1, machine.panic().cpu());
        assertEquals("", machine.panic().detail());
    }

    @Test
    void aPanicDuringATrapFailsThatTrap() {
        Machine m = new Machine(MachineConfig.defaults());
        HypPlatform p = m.takeHypPlatform();
        m.installEl2Vector(cpu -> p.panic(cpu, "handler blew up", null));
        Cpu cpu = m.getCpu(3);
        try {
            HypPanicException e = assertThrows(HypPanicException.class, cpu::hvc);
            assertEquals(3, e.panic().cpu());
            assertEquals("handler blew up", e.panic().reason());
        } finally {
            m.putCpu(cpu);
        }
    }

    @Test
    void aPanickedMachineWithoutAVectorStillReportsThePanic() {
        Machine m = new Machine(MachineConfig.defaults());
        HypPlatform p = m.takeHypPlatform();
        p.panic(m.cpus().get(2), "early", null);
        Cpu cpu = m.getCpu();
        try {
            assertThrows(HypPanicException.class, cpu::hvc);
        } finally {
            m.putCpu(cpu);
        }
    }
}
