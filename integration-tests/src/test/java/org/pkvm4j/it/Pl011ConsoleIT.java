package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;

/**
 * The bundled {@code pl011_console} module with a second module: once its EL2 init registered the
 * serial driver, a later module's EL2 {@code puts} goes through that driver too. The module alone
 * (banner, selftest, UART, ioctls) is tested in its own build: {@code
 * vendor-modules/pl011-console/el1/src/test/java/acme/pl011_console/Pl011ConsoleIT.java}.
 */
class Pl011ConsoleIT {
    private static final int IOCTL_CHARS = 1;

    /**
     * Scenario: pl011_console loads first, then pkvm_driver, whose EL2 init prints a line: the driver
     * counted every character of the module's own banner and of pkvm_driver's line.
     */
    @Test
    void aLaterModulesEl2OutputGoesThroughTheDriver() {
        HostKernel kernel = Devices.bootBundled("pl011_console", "pkvm_driver");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        List<String> log = kernel.log().lines();
        assertTrue(log.stream().anyMatch(l -> l.contains("EL2: pkvm_driver: EL2 init")), log.toString());
        long expected = "pl011_console: EL2 console on PL011 at 0x9000000\n".length() + "pkvm_driver: EL2 init\n".length();
        assertEquals(expected, kernel.ioctl("pl011_console", IOCTL_CHARS, 0),
                "the banner and pkvm_driver's init line went through the driver");
    }
}
