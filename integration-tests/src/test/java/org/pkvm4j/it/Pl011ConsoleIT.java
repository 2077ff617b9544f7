package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;

/**
 * The bundled {@code pl011_console} module: its EL2 init maps the machine's UART MMIO with
 * create_private_mapping and registers a serial driver; from then on every EL2 {@code puts} (its own,
 * later modules') goes through that driver's putc, a store to UARTDR through the private mapping, to
 * the machine's UART, where the host reads the hyp console.
 */
class Pl011ConsoleIT {
    private static final int IOCTL_CHARS = 1;

    /**
     * Scenario: pl011_console loads first, then pkvm_driver, whose EL2 init prints a line: the driver
     * counted every character of the module's own banner and of pkvm_driver's line, and the UART
     * wrote exactly those characters since the driver took over; the selftest has EL2 print one more
     * line, which also goes through the driver and shows in dmesg.
     */
    @Test
    void el2OutputGoesThroughTheModulesDriverToTheUart() {
        HostKernel kernel = Devices.bootBundled("pl011_console", "pkvm_driver");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        List<String> log = kernel.log().lines();
        assertTrue(log.stream().anyMatch(l -> l.contains("EL2: pl011_console: EL2 console on PL011 at 0x9000000")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("EL2: pkvm_driver: EL2 init")), log.toString());

        long viaDriver = kernel.ioctl("pl011_console", IOCTL_CHARS, 0);
        long expected = "pl011_console: EL2 console on PL011 at 0x9000000\n".length() + "pkvm_driver: EL2 init\n".length();
        assertEquals(expected, viaDriver, "the banner and pkvm_driver's init line went through the driver");
        long uartBefore = kernel.machine().uart().bytesWritten();

        assertEquals(1, kernel.ioctl("pl011_console", MiscDevice.IOCTL_SELFTEST, 0));
        String line = "pl011_console: EL2 console selftest";
        assertEquals(viaDriver + line.length() + 1, kernel.ioctl("pl011_console", IOCTL_CHARS, 0));
        assertEquals(uartBefore + line.length() + 1, kernel.machine().uart().bytesWritten(),
                "each character the driver wrote reached the UART");
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.endsWith("EL2: " + line)), "the host reads it as the hyp console");
    }
}
