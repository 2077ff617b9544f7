package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trace unit: switched on only while boot holds the machine; bounded per-CPU buffers. */
class TraceUnitTest {
    private static Machine machine() {
        return new Machine(new MachineConfig(2, 1L << 20));
    }

    @Test
    void offUnlessEnabledBeforeThePlatformIsHandedOut() {
        assertNull(machine().takeHypPlatform().handlerTrace(), "no trace unit: the dispatcher sees null");

        Machine late = machine();
        late.takeHypPlatform();
        assertThrows(IllegalStateException.class, () -> late.enableTrace(8), "the host cannot switch it on after boot");

        Machine m = machine();
        m.enableTrace(8);
        assertThrows(IllegalStateException.class, () -> m.enableTrace(8));
        assertNotNull(m.takeHypPlatform().handlerTrace());
        assertThrows(IllegalArgumentException.class, () -> machine().enableTrace(0));
    }

    @Test
    void spansLandOnTheClaimedCpuAndAFullBufferCountsDrops() {
        Machine m = machine();
        TraceUnit unit = m.enableTrace(3);
        HandlerTrace trace = m.takeHypPlatform().handlerTrace();
        Cpu cpu = m.getCpu(1);
        try {
            for (int i = 0; i < 5; i++) {
                long start = trace.now();
                trace.span("mod", "mod_hvc", 128 + i, start);
            }
        } finally {
            m.putCpu(cpu);
        }
        List<TraceUnit.Span> spans = new ArrayList<>();
        unit.drain(spans::add);
        assertEquals(3, spans.size());
        assertEquals(2, unit.dropped());
        assertTrue(spans.stream().allMatch(s -> s.cpu() == 1 && s.durNanos() >= 0 && "mod_hvc".equals(s.symbol())));
        assertEquals(List.of(128L, 129L, 130L), spans.stream().map(TraceUnit.Span::hvc).toList(), "oldest first");

        spans.clear();
        unit.drain(spans::add);
        assertTrue(spans.isEmpty(), "a drain empties the buffers");
    }
}
