package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EL2's device accesses: the same MMIO window the host sees, and never DRAM. */
class HypMemoryMmioTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;

    /** Scenario: EL2 writes bytes to UARTDR (they are transmitted), reads UARTFR, and elsewhere RAZ/WI. */
    @Test
    void el2ReachesTheUartRegisters() {
        Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
        List<String> lines = new ArrayList<>();
        machine.uart().attach(lines::add);
        HypMemory mem = machine.takeHypPlatform().memory();
        for (byte b : "el2\n".getBytes()) {
            mem.mmioStore(Machine.UART_PA + Machine.UARTDR, 1, b);
        }
        assertEquals(List.of("el2"), lines);
        assertEquals(4, machine.uart().bytesWritten());
        assertEquals(Machine.UARTFR_IDLE, mem.mmioLoad(Machine.UART_PA + Machine.UARTFR, 4));
        mem.mmioStore(0x1000, 8, 42);
        assertEquals(0, mem.mmioLoad(0x1000, 8));
    }

    /** Scenario: a device access to DRAM, misaligned, of a bad width or beyond the PA range is refused. */
    @Test
    void deviceAccessesAreChecked() {
        Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
        HypMemory mem = machine.takeHypPlatform().memory();
        assertThrows(IllegalArgumentException.class, () -> mem.mmioLoad(Dram.BASE, 8), "DRAM is not a device");
        assertThrows(IllegalArgumentException.class, () -> mem.mmioStore(Machine.UART_PA + 1, 4, 0), "misaligned");
        assertThrows(IllegalArgumentException.class, () -> mem.mmioLoad(Machine.UART_PA, 3), "width");
        assertThrows(IllegalArgumentException.class, () -> mem.mmioLoad(1L << Dram.PA_BITS, 1), "beyond the PA range");
        assertEquals(0, machine.uart().bytesWritten());
    }
}
