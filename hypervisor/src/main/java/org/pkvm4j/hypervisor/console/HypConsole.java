package org.pkvm4j.hypervisor.console;

import java.util.Objects;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.machine.Uart;

/**
 * The hyp console: {@code putc}, {@code puts}, {@code putx64} of the ops table.
 *
 * <p>Kernel counterpart: {@code hyp_puts}/{@code hyp_putx64} in {@code nvhe/serial.c}. Output goes
 * to the registered serial driver if a module installed one (as {@code pkvm-pl011} does), else
 * straight to the machine's UART.
 */
public final class HypConsole {
    private final Uart uart;
    private volatile SerialDriver driver;

    /** A console writing to {@code uart} until a driver is registered. */
    public HypConsole(Uart uart) {
        this.uart = uart;
    }

    /**
     * {@code __pkvm_register_serial_driver}: one driver at a time.
     *
     * @throws PkvmException {@code EBUSY} if one is registered already
     */
    public synchronized void registerSerialDriver(SerialDriver serialDriver) {
        Objects.requireNonNull(serialDriver, "serialDriver");
        if (driver != null) {
            throw new PkvmException(Errno.EBUSY, "a hyp serial driver is already registered");
        }
        driver = serialDriver;
    }

    /**
     * Drops {@code serialDriver} if it is the registered one: a module whose load fails or that is
     * unloaded takes its driver with it (pkvm4j; the kernel cannot unload).
     *
     * @return whether it was registered
     */
    public synchronized boolean unregisterSerialDriver(SerialDriver serialDriver) {
        if (serialDriver == null || driver != serialDriver) {
            return false;
        }
        driver = null;
        return true;
    }

    /** Writes one character. */
    public void putc(char c) {
        SerialDriver d = driver;
        if (d != null) {
            d.putc(c);
        } else {
            uart.putc(c);
        }
    }

    /** Writes a string and a newline. */
    public void puts(String s) {
        String text = String.valueOf(s);
        for (int i = 0; i < text.length(); i++) {
            putc(text.charAt(i));
        }
        putc('\n');
    }

    /**
     * Writes one line of the hypervisor's own straight to the UART, never through a module's serial
     * driver: a report may be written off any trap (by the lockup detector, or on a thread that
     * misused a register view), where no vendor code may run. The line is written whole.
     */
    public void report(String line) {
        synchronized (uart) {
            for (int i = 0; i < line.length(); i++) {
                uart.putc(line.charAt(i));
            }
            uart.putc('\n');
        }
    }

    /** Writes {@code 0x} and 16 hex digits, then a newline. */
    public void putx64(long x) {
        puts("0x%016x".formatted(x));
    }
}
