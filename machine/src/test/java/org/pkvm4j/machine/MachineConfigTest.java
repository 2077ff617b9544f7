package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MachineConfigTest {

    @Test
    void defaultsAreFourCpusAndOneGib() {
        MachineConfig c = MachineConfig.defaults();
        assertEquals(4, c.nrCpus());
        assertEquals(1L << 30, c.memBytes());
    }

    @Test
    void acceptsTheBounds() {
        assertDoesNotThrow(() -> new MachineConfig(1, MachineConfig.PAGE_SIZE));
        assertDoesNotThrow(() -> new MachineConfig(MachineConfig.MAX_CPUS, 64L << 30));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 257, Integer.MAX_VALUE})
    void rejectsCpuCountsOutside1To256(int nrCpus) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MachineConfig(nrCpus, MachineConfig.DEFAULT_MEM));
        assertEquals("nr_cpus must be 1..256, was " + nrCpus, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -4096, 4095, 4097, 12345, (1L << 30) + 1})
    void rejectsMemoryThatIsNotAPositiveMultipleOfAPage(long mem) {
        assertThrows(IllegalArgumentException.class, () -> new MachineConfig(4, mem));
    }
}
