package org.pkvm4j.hypervisor.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

class HypConsoleTest {
    private final Machine machine = new Machine(MachineConfig.defaults());
    private final HypConsole console = new HypConsole(machine.uart());
    private final List<String> uartLines = new ArrayList<>();

    HypConsoleTest() {
        machine.uart().attach(uartLines::add);
    }

    @Test
    void withoutADriverOutputGoesToTheUart() {
        console.puts("hello");
        console.putc('x');
        console.putc('\n');
        assertEquals(List.of("hello", "x"), uartLines);
    }

    @Test
    void putx64PrintsSixteenHexDigits() {
        console.putx64(0x1234L);
        console.putx64(-1L);
        console.putx64(0);
        assertEquals(List.of("0x0000000000001234", "0xffffffffffffffff", "0x0000000000000000"), uartLines);
    }

    @Test
    void putsOfNullPrintsNull() {
        console.puts(null);
        assertEquals(List.of("null"), uartLines);
    }

    @Test
    void onceRegisteredTheDriverGetsEveryCharacter() {
        console.puts("before");
        StringBuilder driver = new StringBuilder();
        console.registerSerialDriver(driver::append);
        console.puts("after");
        console.putx64(0xabL);
        assertEquals("after\n0x00000000000000ab\n", driver.toString());
        assertEquals(List.of("before"), uartLines);
    }

    @Test
    void aSecondDriverIsEbusyAndTheFirstStays() {
        StringBuilder first = new StringBuilder();
        console.registerSerialDriver(first::append);
        PkvmException e = assertThrows(PkvmException.class, () -> console.registerSerialDriver(c -> { }));
        assertEquals(Errno.EBUSY, e.errno());
        console.putc('z');
        assertEquals("z", first.toString());
        assertTrue(uartLines.isEmpty());
    }

    @Test
    void aNullDriverIsRefusedAndLeavesTheSlotFree() {
        assertThrows(NullPointerException.class, () -> console.registerSerialDriver(null));
        StringBuilder driver = new StringBuilder();
        console.registerSerialDriver(driver::append);
        console.putc('k');
        assertEquals("k", driver.toString());
    }
}
