package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.cli.Main;

/** {@code --json} and {@code --trace} of the CLI, parsed back; the error codes a user sees. */
class CliJsonIT {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    private int pkvm(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private static String bundledInitramfs() {
        return System.getProperty("pkvm4j.it.initramfs");
    }

    private Map<String, Object> json() {
        return Json.object(Json.parse(out.toString()));
    }

    /** Scenario: {@code boot --json} prints only the report, as JSON: modules, HVCs, security, steps, demo. */
    @Test
    void bootJsonIsTheReport() {
        assertEquals(0, pkvm("boot", "--json", "--initramfs", bundledInitramfs()), err::toString);
        Map<String, Object> r = json();
        assertEquals("OK", r.get("result"));
        assertEquals(true, r.get("deprivileged"));
        assertEquals("protected", Json.object(r.get("security")).get("state"));
        assertEquals(null, r.get("panic"));
        List<Map<String, Object>> steps = Json.array(r.get("steps")).stream().map(Json::object).toList();
        assertEquals(5, steps.size());
        assertTrue(steps.stream().allMatch(s -> (Double) s.get("nanos") > 0));
        List<Map<String, Object>> modules = Json.array(r.get("modules")).stream().map(Json::object).toList();
        assertEquals(List.of("pkvm_driver", "kvstore", "hello_el1"), modules.stream().map(m -> m.get("name")).toList());
        assertEquals("0x0000800000000000", modules.getFirst().get("token"));
        Map<String, Object> hvc = Json.object(Json.array(modules.getFirst().get("hvcs")).getFirst());
        assertEquals(128.0, hvc.get("id"));
        assertEquals("0xC6000080", hvc.get("functionId"));
        List<Map<String, Object>> checks = Json.array(Json.object(r.get("demo")).get("checks")).stream().map(Json::object).toList();
        assertFalse(checks.isEmpty());
        assertTrue(checks.stream().allMatch(c -> c.get("passed").equals(true)), checks::toString);
    }

    /** Scenario: an insecure boot's JSON carries the state's code and the failed load's cause code. */
    @Test
    void insecureBootJsonCarriesCodes() {
        assertEquals(1, pkvm("boot", "--json", "--initramfs", bundledInitramfs(),
                "--cmdline", "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,nope"));
        Map<String, Object> security = Json.object(json().get("security"));
        assertEquals("insecure", security.get("state"));
        assertEquals("PKVM-BOOT-INSECURE", security.get("code"));
        assertEquals("PKVM-LOAD-NOT-FOUND", security.get("causeCode"));
        assertEquals("ENOENT", security.get("errno"));
        assertEquals("nope", security.get("module"));
        assertEquals("FAILED", json().get("result"));
    }

    /** Scenario: a usage error prints its code after the message, no stack trace, exit 2, even with --json. */
    @Test
    void usageErrorsNameTheirCode() {
        assertEquals(2, pkvm("boot", "--json", "--initramfs", bundledInitramfs(), "--cmdline", "nr_cpus=lots"));
        assertTrue(err.toString().startsWith("pkvm: nr_cpus=lots is not a CPU count"), err::toString);
        assertTrue(err.toString().trim().endsWith("[PKVM-BOOT-CMDLINE]"), err::toString);
        assertFalse(err.toString().contains("\tat "));
        assertEquals(2, pkvm("boot", "--initramfs", dir.resolve("none").toString()));
        assertTrue(err.toString().contains("[PKVM-BOOT-INITRAMFS]"), err::toString);
        assertEquals(2, pkvm("boot", "--json", "--script", "-", "--initramfs", bundledInitramfs()));
        assertTrue(err.toString().contains("pick one [PKVM-BOOT-CONFIG]"), err::toString);
    }

    /** Scenario: {@code boot --trace FILE} writes a trace that parses and holds the boot and the demo's handler runs. */
    @Test
    void bootTraceWritesAFile() throws Exception {
        Path trace = dir.resolve("boot.json");
        assertEquals(0, pkvm("boot", "--no-dmesg", "--trace", trace.toString(), "--initramfs", bundledInitramfs()),
                err::toString);
        Map<String, Object> doc = Json.object(Json.parse(Files.readString(trace)));
        List<Map<String, Object>> events = Json.array(doc.get("traceEvents")).stream().map(Json::object).toList();
        assertEquals(6, events.stream().filter(e -> "boot".equals(e.get("cat"))).count(), "steps 1 to 5 and 6, userspace");
        assertTrue(events.stream().anyMatch(e -> "modprobe hello_el1".equals(e.get("name"))));
        assertTrue(events.stream().filter(e -> "el2".equals(e.get("cat"))).count() >= 196,
                "the demo's kvstore selftest checks 196 EL2 calls");
        assertEquals(2, pkvm("boot", "--trace", dir.resolve("no/such/dir/t.json").toString(),
                "--initramfs", bundledInitramfs()), err::toString);
        assertTrue(err.toString().contains("cannot write the trace file") && err.toString().contains("[PKVM-BOOT-CONFIG]"),
                err::toString);
    }

    /** Scenario: {@code modinfo --json} is the record. */
    @Test
    void modinfoJson() {
        assertEquals(0, pkvm("modinfo", "--json", Path.of(bundledInitramfs(), "kvstore.jar").toString()), err::toString);
        Map<String, Object> m = json();
        assertEquals("kvstore", m.get("name"));
        assertTrue(((String) m.get("sha256")).matches("[0-9a-f]{64}"));
        assertTrue((Double) m.get("el2ClassBytes") > 0);
    }

    /** Scenario: {@code verify --json} of a module whose EL2 code reflects lists each violation with its code. */
    @Test
    void verifyJsonListsViolationsWithCodes() {
        Path file = FixtureModules.build("el2-reflection");
        assertEquals(1, pkvm("verify", "--json", file.toString()));
        Map<String, Object> v = json();
        assertEquals(false, v.get("passed"));
        List<Map<String, Object>> violations = Json.array(v.get("violations")).stream().map(Json::object).toList();
        assertFalse(violations.isEmpty());
        assertTrue(violations.stream().allMatch(x -> "PKVM-EL2-POLICY-VIOLATION".equals(x.get("code"))), violations::toString);
        assertTrue(violations.stream().anyMatch(x -> ((String) x.get("referenced")).startsWith("java.lang.reflect")
                || ((String) x.get("referenced")).startsWith("java.lang.Class")), violations::toString);

        out.getBuffer().setLength(0);
        assertEquals(0, pkvm("verify", "--json", Path.of(bundledInitramfs(), "kvstore.jar").toString()), out::toString);
        assertEquals(true, json().get("passed"));
        assertTrue(Json.array(json().get("checks")).stream().map(Json::object).allMatch(c -> c.get("ok").equals(true)));
    }

    /**
     * Scenario: {@code abi diff --json}: identical ABIs have no change (exit 0); a dump that lacks one
     * member of the running API, diffed against it, is a compatible addition (exit 4) with its verdict and code.
     */
    @Test
    void abiDiffJsonHasVerdictsAndCodes() throws Exception {
        Path full = dir.resolve("full.abi");
        assertEquals(0, pkvm("abi", "dump", "-o", full.toString()), err::toString);
        out.getBuffer().setLength(0);
        assertEquals(0, pkvm("abi", "diff", "--json", full.toString(), full.toString()), err::toString);
        assertEquals(List.of(), Json.array(json().get("changes")));

        List<String> lines = Files.readAllLines(full);
        String member = lines.stream().filter(l -> l.contains(" method org.pkvm4j.api.el2.ModuleOps.")).findFirst().orElseThrow();
        Path older = dir.resolve("older.abi");
        // One line fewer, and the header's count with it: a consistent dump of an API without that member.
        Files.write(older, lines.stream().filter(l -> !l.equals(member))
                .map(l -> l.matches("# \\d+ symbols: .*") ? l.replaceFirst("\\d+", Long.toString(lines.stream().filter(x -> x.startsWith("0x")).count() - 1)) : l)
                .toList());
        out.getBuffer().setLength(0);
        assertEquals(4, pkvm("abi", "diff", "--json", older.toString(), full.toString()), err::toString);
        Map<String, Object> d = json();
        assertEquals(4.0, d.get("status"));
        Map<String, Object> change = Json.object(Json.array(d.get("changes")).getFirst());
        assertEquals("COMPATIBLE", change.get("verdict"));
        assertEquals("PKVM-ABI-COMPATIBLE", change.get("code"));

        out.getBuffer().setLength(0);
        assertEquals(12, pkvm("abi", "diff", "--json", full.toString(), older.toString()), err::toString);
        change = Json.object(Json.array(json().get("changes")).getFirst());
        assertEquals("BREAKING", change.get("verdict"));
        assertEquals("PKVM-ABI-BREAKING", change.get("code"));
    }
}
