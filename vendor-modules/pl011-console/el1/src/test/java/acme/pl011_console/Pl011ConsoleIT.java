package acme.pl011_console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.pkvm4j.testkit.PkvmAssertions.assertErrno;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.testkit.PkvmBoot;

/**
 * pl011_console, loaded from the file this build produced: its EL2 init maps the UART's MMIO with
 * create_private_mapping and registers a serial driver, so every later EL2 {@code puts} is a store
 * to UARTDR through that mapping, which the host reads as the hyp console.
 */
@PkvmBoot(modules = "${pkvm4j.module.file}")
class Pl011ConsoleIT {
    private static final String BANNER = "pl011_console: EL2 console on PL011 at 0x9000000";
    private static final String SELFTEST = "pl011_console: EL2 console selftest";

    /** Scenario: the module loads with one handler and its banner, printed through its own driver, is in dmesg. */
    @Test
    void loadsAndPrintsItsBannerThroughItsDriver(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("pl011_console", 1).deprivileged();
        assertThat(log).containsEl2LineMatching(Pattern.quote(BANNER)).hasNoErrorLines();
        assertEquals(BANNER.length() + 1, kernel.ioctl("pl011_console", Pl011Console.IOCTL_CHARS, 0),
                "the driver counted the banner it printed after taking over the console");
    }

    /**
     * Scenario: the selftest has EL2 print one line: the driver counts each of its characters, each
     * reaches the machine's UART, and the host reads the line as the hyp console.
     */
    @Test
    void selftestLineGoesThroughTheDriverToTheUart(HostKernel kernel, Machine machine, KernelLog log) {
        long viaDriver = kernel.ioctl("pl011_console", Pl011Console.IOCTL_CHARS, 0);
        long uartBefore = machine.uart().bytesWritten();
        assertEquals(1, kernel.ioctl("pl011_console", MiscDevice.IOCTL_SELFTEST, 0));
        assertEquals(viaDriver + SELFTEST.length() + 1, kernel.ioctl("pl011_console", Pl011Console.IOCTL_CHARS, 0));
        assertEquals(uartBefore + SELFTEST.length() + 1, machine.uart().bytesWritten(),
                "each character the driver wrote reached the UART");
        assertThat(log).containsEl2LineMatching(Pattern.quote(SELFTEST));
    }

    /** Scenario: an unknown ioctl is refused with EINVAL and leaves the count as it was. */
    @Test
    void unknownIoctlIsRefused(HostKernel kernel) {
        long before = kernel.ioctl("pl011_console", Pl011Console.IOCTL_CHARS, 0);
        assertErrno(Errno.EINVAL, () -> kernel.ioctl("pl011_console", 99, 0));
        assertEquals(before, kernel.ioctl("pl011_console", Pl011Console.IOCTL_CHARS, 0));
    }
}
