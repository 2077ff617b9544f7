package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.cli.Main;

/** {@code pkvm explore} as a user runs it, on the bundled modules and on fixtures. */
class ExploreIT {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int pkvm(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private static String bundled() {
        return System.getProperty("pkvm4j.it.initramfs");
    }

    /**
     * Scenario: the bundled device's two protected modules, every fault kind: 2 orders x 12 fault
     * points (no fault; per module EL1 init, EL2 init, one per handler registration, late load),
     * exit 0, the first-failure-stops-the-list faults marked order-dependent, the late loads not.
     */
    @Test
    void exploresTheBundledModules() {
        assertEquals(0, pkvm("explore", "--initramfs", bundled(), "--cmdline", "nr_cpus=2"), err.toString());
        String text = out.toString();
        assertTrue(text.startsWith("pkvm explore: 2 module(s) (pkvm_driver, kvstore), 2 order(s) x 12 fault point(s)"
                + " = 24 boots"), text);
        assertTrue(text.matches("(?s).*\\n\\* kvstore: EL1 init fails with ENODEV +pkvm_driver,kvstore +insecure: kvstore"
                + " ENODEV +pkvm_driver:1 +no \\(EPERM\\).*"), text);
        assertTrue(text.matches("(?s).*\\n\\* +kvstore,pkvm_driver +insecure: kvstore ENODEV +none +no \\(EPERM\\).*"), text);
        assertTrue(text.matches("(?s).*\\n  kvstore: loads after deprivilege +pkvm_driver,kvstore +protected +pkvm_driver:1"
                + " +yes +kvstore:EOPNOTSUPP.*"), text);
        assertTrue(text.contains("kvstore: __pkvm_register_hcall #4 fails with ENOMEM"), text);
        assertFalse(text.contains("#5"), "kvstore registers four handlers: four registration points");
        assertTrue(text.contains("\n24 rows, 22 booted, 2 shared a boot (row (=N) shares row N's): 2 late load"), text);
        assertTrue(text.matches("(?s).*\\n22 boots in [0-9.]+ s on [0-9]+ thread\\(s\\): [0-9.]+ boots/s \\([0-9.]+ per CPU-second of the booting threads\\)\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n +kvstore,pkvm_driver \\(=22\\) +protected +pkvm_driver:1 +yes +kvstore:EOPNOTSUPP\\n.*"),
                "the late load of kvstore boots once for both orders: " + text);
        assertTrue(text.contains("9 of 12 fault point(s) give order-dependent outcomes (marked *)"), text);
        assertFalse(text.contains("STRAY"), "no failed load leaves a handler behind");
    }

    /** Scenario: --json, one kind, bounded: a JSON document that says it was bounded. */
    @Test
    void jsonAndBound() {
        assertEquals(0, pkvm("explore", "--initramfs", bundled(), "--faults", "late", "--max-boots", "3", "--json"),
                err.toString());
        String json = out.toString().strip();
        assertTrue(json.startsWith("{\"modules\":[\"pkvm_driver\",\"kvstore\"],\"faultKinds\":[\"late\"],\"orders\":2,"
                + "\"faultPoints\":3,\"planned\":6,\"explored\":3,\"bounded\":true,\"exhaustive\":false,\"faults\":[[],"
                + "[{\"kind\":\"late\",\"module\":\"pkvm_driver\"}],[{\"kind\":\"late\",\"module\":\"kvstore\"}]],"), json);
        assertTrue(json.contains("{\"index\":2,\"fault\":\"pkvm_driver: loads after deprivilege\",\"faultKind\":\"late\","
                + "\"order\":[\"pkvm_driver\",\"kvstore\"],\"orderDependent\":false,\"reduction\":\"late\",\"sameAs\":null,"
                + "\"outcome\":{\"security\":\"protected\","
                + "\"failedModule\":null,\"errno\":null,\"hvcsAnswering\":{\"kvstore\":4},\"strayHvcs\":0,"
                + "\"pvmAllowed\":true,\"pvmErrno\":null,\"lateLoads\":{\"pkvm_driver\":\"EOPNOTSUPP\"}}}"), json);
        assertTrue(json.endsWith("\"booted\":3,\"skipped\":{},\"errors\":0}"), json);
        assertFalse(json.contains("seconds"), "no timings in the document: " + json);
        assertTrue(err.toString().startsWith("pkvm explore: 3 boots in "), err.toString());
    }

    /**
     * Scenario: dependencies in the set: dep_user brings dep_base in first whatever the order, so
     * dep_user's own EL2 fault gives one outcome; dep_base's is blamed on whichever module was
     * being modprobed, so it depends on the order.
     */
    @Test
    void dependenciesInTheSet() {
        Path initramfs = Devices.newInitramfs();
        Devices.addFixture(initramfs, "dep-base");
        Devices.addFixture(initramfs, "dep-user");
        assertEquals(0, pkvm("explore", "--initramfs", initramfs.toString(), "--modules", "dep_user,dep_base",
                "--faults", "el2-init"), err.toString());
        String text = out.toString();
        assertTrue(text.matches("(?s).*\\n\\s+dep_base,dep_user +protected +dep_base:1 dep_user:1 +yes.*"), text);
        assertTrue(text.matches("(?s).*\\n  dep_user: EL2 init fails with EINVAL +dep_user,dep_base +insecure: dep_user"
                + " EINVAL +dep_base:1 .*"), text);
        assertTrue(text.matches("(?s).*\\n\\* dep_base: EL2 init fails with EINVAL +dep_user,dep_base +insecure: dep_user"
                + " EINVAL +none .*"), text);
        assertTrue(text.matches("(?s).*\\n\\* +dep_base,dep_user +insecure: dep_base EINVAL +none .*"), text);
    }

    /** Scenario: a boot that throws (an Error out of a module's init) is no outcome: exit 1, named on stderr. */
    @Test
    void aBootThatThrowsExitsOne() {
        Path initramfs = Devices.newInitramfs();
        Devices.addFixture(initramfs, "el1-init-error");
        assertEquals(1, pkvm("explore", "--initramfs", initramfs.toString(), "--modules", "el1_init_error",
                "--faults", "late"));
        assertTrue(err.toString().contains("pkvm explore: boot of el1_init_error with no fault threw"
                + " java.lang.AssertionError: el1_init_error: BUG"), err.toString());
        assertTrue(out.toString().contains("ERROR: java.lang.AssertionError"), out.toString());
    }

    /**
     * Scenario: a --hypervisor that is missing, not a jar, or a module jar that is not the hypervisor
     * is a configuration error, exit 2 before any boot, whether explore reads the files once (the
     * default) or at every boot (--read-every-boot): never a matrix of rows that each threw.
     */
    @Test
    void aBadHypervisorExitsTwoInBothModes(@TempDir Path dir) throws IOException {
        Path absent = dir.resolve("absent.jar");
        Path notAJar = Files.writeString(dir.resolve("text.jar"), "not a jar");
        Path notTheHypervisor = Path.of(bundled(), "kvstore.jar");
        Map<Path, String> bad = Map.of(absent, " does not exist", notAJar, " is not a modular jar",
                notTheHypervisor, ", not org.pkvm4j.hypervisor");
        for (List<String> mode : List.of(List.<String>of(), List.of("--read-every-boot"))) {
            for (Map.Entry<Path, String> hyp : bad.entrySet()) {
                out.getBuffer().setLength(0);
                err.getBuffer().setLength(0);
                List<String> args = new ArrayList<>(List.of("explore", "--initramfs", bundled(), "--faults", "late",
                        "--hypervisor", hyp.getKey().toString()));
                args.addAll(mode);
                String what = mode + " " + hyp.getKey() + ": " + err;
                assertEquals(2, pkvm(args.toArray(String[]::new)), what);
                assertTrue(err.toString().startsWith("pkvm: hypervisor image " + hyp.getKey()), what);
                assertTrue(err.toString().contains(hyp.getValue()), what);
                assertFalse(err.toString().contains("threw"), what);
                assertEquals("", out.toString(), "no boot, no matrix: " + what);
            }
        }
    }

    /** Scenario: usage errors exit 2 with one line each: an unknown kind, a bound below 1, a module not there. */
    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, pkvm("explore", "--initramfs", bundled(), "--faults", "bogus"));
        assertTrue(err.toString().contains("unknown fault kind 'bogus'"), err.toString());
        assertEquals(2, pkvm("explore", "--initramfs", bundled(), "--max-boots", "0"));
        assertTrue(err.toString().contains("--max-boots must be at least 1, was 0"), err.toString());
        assertEquals(2, pkvm("explore", "--initramfs", bundled(), "--modules", "ghost"));
        assertTrue(err.toString().contains("pkvm: module ghost is not in initramfs"), err.toString());
        assertEquals(2, pkvm("explore", "--initramfs", bundled(), "--cmdline", "kvm-arm.protected_modules=x"));
        assertFalse(err.toString().contains("\tat "), "no stack trace for a user mistake");
    }
}
