package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.cli.Main;

/** {@code pkvm boot}, {@code boot --script}, {@code lsmod}, {@code dmesg}, {@code hvc} and {@code modinfo} as a user runs them. */
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

    /**
     * Scenario: a test-only switch that turns checks off taints the device: the report says so
     * with its code, the measurement lines name the switch, the protected VM of the demo is
     * refused, and the boot exits 1.
     */
    @Test
    void aTaintedBootSaysSoAndExitsOne() {
        assertEquals(1, pkvm("boot", "--initramfs", bundledInitramfs(), "--cmdline",
                "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore pkvm.el2_verify=0"));
        String text = out.toString();
        assertTrue(text.contains("security       TAINTED: pkvm.el2_verify=0: vendor modules were loaded without their checks;"
                + " not protected, protected VMs cannot start [PKVM-BOOT-TAINTED]"), text);
        assertTrue(text.contains("tainted        pkvm.el2_verify=0: checks of vendor modules off [PKVM-BOOT-TAINTED]"), text);
        assertTrue(text.contains("result         FAILED"), text);
        assertFalse(text.contains("security       protected"), text);
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

    private Path script(String text) throws IOException {
        Path dir = Files.createDirectories(FixtureModules.workDir().resolve("scripts"));
        return Files.writeString(Files.createTempFile(dir, "workload", ".pkvm"), text);
    }

    private String normalized(StringWriter w) {
        return w.toString().replace("\r\n", "\n");
    }

    /**
     * Scenario: a script drives a booted device through every shell command and checks each
     * answer, a refusal included; all expects match, so the exit code is 0.
     */
    @Test
    void aScriptRunsEveryCommandAndItsExpectsPass() throws IOException {
        Path workload = script("""
                # the bundled device, after boot
                lsmod
                expect ^kvstore +0x0000800000001000 +129,130,131,132 +1$
                dmesg --grep 'protected mode finalized'
                expect on 4/4 CPUs
                hvc kvstore 0 7 42
                expect ^x1 = 0x0+  0$
                hvc kvstore 0xC6000082 7
                expect ^x2 = 0x0+2a  42$
                hvc kvstore 1 8
                expect x1 = 0xf+e  -2 \\(-ENOENT\\?\\)
                modprobe hello_el1
                expect hello_el1: loaded, EL1 only
                ioctl /dev/hello 0
                expect ^0$
                rmmod hello_el1
                expect hello_el1: unloaded, /dev/hello removed, layer released
                rmmod pkvm_driver
                expect EAGAIN.*is in use
                modprobe percpu_counter
                expect EOPNOTSUPP
                modinfo kvstore
                expect el2: +yes
                dmesg -c
                dmesg
                expect ^$
                echo all done
                expect ^all done$
                """);
        assertEquals(0, pkvm("boot", "--initramfs", bundledInitramfs(), "--script", workload.toString()), err::toString);
        String text = normalized(out);
        assertTrue(text.startsWith("pkvm> lsmod\nModule "), "a transcript, no boot printout first: " + text);
        assertTrue(text.contains("pkvm> rmmod pkvm_driver\nrmmod: EAGAIN: module pkvm_driver is in use"), text);
        assertTrue(text.endsWith("script " + workload + ": 27 command(s), OK\n"), text);
        assertEquals("", err.toString());
    }

    /** Scenario: an expect that does not match stops the script: exit 1, the file and line named, nothing after it run. */
    @Test
    void aFailedExpectStopsTheScriptWithExitOne() throws IOException {
        Path workload = script("lsmod\nexpect no_such_module\necho never printed\n");
        assertEquals(1, pkvm("boot", "--initramfs", bundledInitramfs(), "--script", workload.toString()));
        assertTrue(err.toString().contains(workload + ":2: expect failed: /no_such_module/ not found"), err::toString);
        assertFalse(out.toString().contains("never printed"), out::toString);
        assertTrue(out.toString().contains("FAILED (an expect did not match)"), out::toString);
    }

    /** Scenario: a command that fails with no expect after it fails the script (exit 1), but the script goes on. */
    @Test
    void anUncheckedFailureFailsTheScriptButItGoesOn() throws IOException {
        Path workload = script("rmmod kvstore\necho still running\n");
        assertEquals(1, pkvm("boot", "--initramfs", bundledInitramfs(), "--script", workload.toString()));
        assertTrue(out.toString().contains("still running"), out::toString);
        assertTrue(err.toString().contains(workload + ":1: rmmod kvstore: failed"), err::toString);
    }

    /** Scenario: {@code --script -} reads the workload from standard input; a parse error there names {@code <stdin>}. */
    @Test
    void aScriptFromStandardInput() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("lsmod\nexpect pkvm_driver\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0, pkvm("boot", "--initramfs", bundledInitramfs(), "--script", "-"), err::toString);
            assertTrue(out.toString().contains("script <stdin>: 2 command(s), OK"), out::toString);
            System.setIn(new ByteArrayInputStream("lsmod\nlsmod please\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals(2, pkvm("boot", "--initramfs", bundledInitramfs(), "--script", "-"));
            assertTrue(err.toString().contains("pkvm: <stdin>:2: lsmod: takes no argument, got 'please'"), err::toString);
        } finally {
            System.setIn(stdin);
        }
    }

    /** Scenario: {@code pkvm lsmod} boots the bundled device and prints its modules, nothing else. */
    @Test
    void lsmodListsTheBundledDevicesModules() {
        assertEquals(0, pkvm("lsmod", "--initramfs", bundledInitramfs()), err::toString);
        String[] lines = normalized(out).split("\n");
        assertEquals(3, lines.length, out::toString);
        assertTrue(lines[0].matches("Module +EL2 token +HVCs +Used by"), lines[0]);
        assertTrue(lines[1].matches("pkvm_driver +0x0000800000000000 +128 +1"), lines[1]);
        assertTrue(lines[2].startsWith("kvstore "), lines[2]);
    }

    /** Scenario: {@code pkvm dmesg --grep} prints the matching lines of the boot's kernel log. */
    @Test
    void dmesgPrintsTheKernelLog() {
        assertEquals(0, pkvm("dmesg", "--initramfs", bundledInitramfs(), "--grep", "EL2: "), err::toString);
        List<String> lines = normalized(out).lines().toList();
        assertFalse(lines.isEmpty());
        assertTrue(lines.stream().allMatch(l -> l.matches("\\[\\s*\\d+\\.\\d{6}\\] EL2: .*")), out::toString);
        assertTrue(lines.stream().anyMatch(l -> l.contains("pkvm_driver: EL2 init")), out::toString);
    }

    /**
     * Scenario: {@code pkvm hvc} calls a handler and prints x0..x3 (exit 0); an index the module
     * does not have, or a module that is not loaded, exits 1 with the errno on stderr.
     */
    @Test
    void hvcCallsAModulesHandler() {
        assertEquals(0, pkvm("hvc", "--initramfs", bundledInitramfs(), "kvstore", "3"), err::toString);
        assertTrue(normalized(out).matches("(?s)x0 = 0x0{16}  SMCCC_RET_SUCCESS\nx1 = 0x0{16}  0\n.*"), out::toString);

        assertEquals(1, pkvm("hvc", "--initramfs", bundledInitramfs(), "pkvm_driver", "5"));
        assertTrue(err.toString().contains("hvc: EINVAL: pkvm_driver registered 1 handler(s); index 5 is not one of them [PKVM-ERRNO]"),
                err::toString);
        assertEquals(1, pkvm("hvc", "--initramfs", bundledInitramfs(), "nope", "0"));
        assertTrue(err.toString().contains("hvc: ENOENT: module nope is not loaded [PKVM-ERRNO]"), err::toString);
        assertEquals(1, pkvm("hvc", "--initramfs", bundledInitramfs(), "pkvm_driver", "129"));
        assertTrue(err.toString().contains("hvc: EPERM: pkvm_driver: HvcNumber[129, 0xC6000081] was not registered by this module [PKVM-LOAD-NOT-OWNER]"),
                err::toString);
        assertFalse(err.toString().contains("\tat "), "no stack trace");
    }

    /** Scenario: a device command on a device that boots insecure exits 1 and says why. */
    @Test
    void aDeviceCommandOnAnInsecureBootExitsOne() {
        assertEquals(1, pkvm("lsmod", "--initramfs", bundledInitramfs(),
                "--cmdline", "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,nope"));
        assertTrue(out.toString().contains("pkvm_driver"), out::toString);
        assertTrue(err.toString().contains("pkvm: the device did not boot as asked: INSECURE: protected module nope"),
                err::toString);
    }

    /**
     * Scenario: {@code boot --trace} records boot step 6, userspace (the demo or the script), after
     * the kernel's five steps, with the same step numbering as the report.
     */
    @Test
    void theTraceHasStepSixUserspace() throws IOException {
        Path trace = Files.createDirectories(FixtureModules.workDir().resolve("traces")).resolve("cli-boot.json");
        Path workload = script("lsmod\n");
        assertEquals(0, pkvm("boot", "--initramfs", bundledInitramfs(), "--script", workload.toString(), "--trace", trace.toString()),
                err::toString);
        List<Map<String, Object>> steps = Json.array(Json.object(Json.parse(Files.readString(trace))).get("traceEvents"))
                .stream().map(Json::object).filter(e -> "boot".equals(e.get("cat"))).toList();
        assertEquals(List.of("1. parse command line", "2. machine and hypervisor", "3. mount initramfs",
                "4. load protected modules", "5. deprivilege", "6. userspace"), steps.stream().map(e -> e.get("name")).toList());
        Map<String, Object> userspace = steps.getLast();
        Map<String, Object> deprivilege = steps.get(4);
        assertTrue((Double) userspace.get("ts") >= (Double) deprivilege.get("ts") + (Double) deprivilege.get("dur"),
                "userspace starts after deprivilege: " + steps);
        assertEquals(6.0, Json.object(userspace.get("args")).get("step"));
    }

    /** Scenario: a script file that does not exist exits 2 with its code, before any boot. */
    @Test
    void aMissingScriptCarriesItsCode() {
        assertEquals(2, pkvm("boot", "--initramfs", bundledInitramfs(), "--script", "no/such/workload.pkvm"));
        assertEquals("pkvm: no/such/workload.pkvm: cannot read the script: no such file [PKVM-CLI-FILE]\n", normalized(err));
        assertEquals("", out.toString());
    }
}
