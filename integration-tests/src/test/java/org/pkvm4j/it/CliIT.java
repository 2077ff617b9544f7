package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.cli.Main;

/** {@code pkvm boot} and {@code pkvm modinfo} as a user runs them. */
class CliIT {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int pkvm(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private static String bundledInitramfs() {
        return System.getProperty("pkvm4j.it.initramfs");
    }

    /** Scenario: the bundled device boots, runs its demo and reports success with exit code 0. */
    @Test
    void bootOfTheBundledDeviceSucceeds() {
        assertEquals(0, pkvm("boot", "--initramfs", bundledInitramfs()), err.toString());
        String text = out.toString();
        assertTrue(text.matches("(?s)^\\[\\s+\\d+\\.\\d{6}\\] Booting pkvm4j.*"), "dmesg first, with timestamps");
        assertTrue(text.contains("security       protected"), text);
        assertTrue(text.contains("deprivileged   yes"), text);
        assertTrue(text.contains("token 0x0000800000000000"), text);
        assertTrue(text.contains("late modprobe percpu_counter") && text.contains("refused with EOPNOTSUPP"), text);
        assertTrue(text.contains("result         OK"), text);
        assertFalse(text.contains("FAIL "), text);
    }

    /** Scenario: a listed module that is missing makes the boot insecure: exit code 1, and the report says why. */
    @Test
    void insecureBootExitsOne() {
        assertEquals(1, pkvm("boot", "--initramfs", bundledInitramfs(),
                "--cmdline", "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,nope"));
        assertTrue(out.toString().contains("INSECURE: protected module nope failed with ENOENT"), out.toString());
        assertTrue(out.toString().contains("result         FAILED"));
    }

    /** Scenario: a malformed command line is a usage error: exit code 2, one line, no stack trace. */
    @Test
    void malformedCommandLineExitsTwo() {
        assertEquals(2, pkvm("boot", "--initramfs", bundledInitramfs(), "--cmdline", "kvm-arm.mode=protected nr_cpus=lots"));
        assertTrue(err.toString().startsWith("pkvm: nr_cpus=lots is not a CPU count"), err.toString());
        assertFalse(err.toString().contains("\tat "), "no stack trace for a user mistake");
        assertEquals(2, pkvm("boot", "--no-such-option"));
    }

    /** Scenario: modinfo prints a module file's record. */
    @Test
    void modinfoPrintsTheRecord() {
        assertEquals(0, pkvm("modinfo", Path.of(bundledInitramfs(), "kvstore.jar").toString()));
        assertTrue(out.toString().contains("name:        kvstore"), out.toString());
        assertTrue(out.toString().contains("el2:         yes"), out.toString());
        assertEquals(1, pkvm("modinfo", Path.of(bundledInitramfs(), "nothing.jar").toString()));
        assertTrue(err.toString().contains("cannot read module file"), err.toString());
    }
}
