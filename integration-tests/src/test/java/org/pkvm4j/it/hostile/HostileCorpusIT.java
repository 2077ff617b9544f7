package org.pkvm4j.it.hostile;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.cli.Main;
import org.pkvm4j.it.hostile.HostileCase.Contained;
import org.pkvm4j.it.hostile.HostileCase.Panics;
import org.pkvm4j.it.hostile.HostileCase.Refused;
import org.pkvm4j.it.hostile.HostileCase.Variant;

/**
 * The hostile-module corpus ({@link HostileCases}): each case's module file, built by the vendor
 * build and/or by hand, on a protected device after {@code pkvm_driver}. Each run asserts the
 * refusal (errno and code), the hyp panic or the contained outcome, and that nothing leaked: the
 * JVM still runs, no thread was started, no file was created, {@code pkvm_driver}'s handler still
 * answers (unless the hypervisor panicked, after which it takes no trap at all), and a refused
 * module's layers are gone.
 */
class HostileCorpusIT {
    private static final String TAINTED = "PKVM-BOOT-TAINTED";

    /**
     * One clean boot first: the JDK starts some of its own threads lazily (the common cleaner) on
     * the first device, and those must not count as the first case's. And one javac run for every
     * case's sources, instead of two per case.
     */
    @BeforeAll
    static void warmUp() {
        CaseRun.warmUp();
        HostileModules.compileAll(HostileCases.ALL);
    }

    static Stream<Arguments> cases() {
        return HostileCases.ALL.stream().flatMap(c -> c.variants().stream()
                .map(v -> Arguments.of(Named.of(c.display(v), c), v)));
    }

    /** Scenario: a hostile module file is refused, panics the hypervisor, or is contained, and leaks nothing. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void hostileModuleIsContained(HostileCase c, Variant variant) {
        Observation seen;
        HostKernel kernel = null;
        if (c.forked()) {
            seen = ForkedCase.observation(c);
            assertEquals("true", seen.getOr("alive", "false"), "the JVM the case ran in did not get through it ("
                    + seen.getOr("forked.exit", "?") + ")\n" + seen);
        } else {
            CaseRun.Result run = CaseRun.run(c, CaseRun.initramfs(c, variant));
            seen = run.seen();
            kernel = run.kernel();
        }
        String context = c.display(variant) + "\n" + seen;
        seen.get("boot.error").ifPresent(e -> fail("the boot ended with an exception instead of a report: " + e + "\n" + context));

        switch (c.expect()) {
            case Refused r -> assertRefused(c, r, seen, context);
            case Panics p -> assertPanics(p, seen, context);
            case Contained k -> assertContained(c, k, seen, context);
        }
        if (c.bypass()) {
            assertEquals("false", seen.getOr("security.protectedVms", "?"),
                    "a device whose EL2 code is unchecked must not take protected VMs\n" + context);
            assertTrue(seen.getOr("log", "").contains(TAINTED) || seen.getOr("bootReport", "").contains(TAINTED),
                    "a device booted with " + CaseRun.BYPASS + " must say " + TAINTED + "\n" + context);
        }
        // Nothing leaked.
        assertEquals("0", seen.getOr("threads.started", "?"), "threads were started: " + seen.getOr("threads.new", "") + "\n" + context);
        assertEquals("", seen.getOr("files", "?"), "files were created in " + c.files() + "\n" + context);
        if (c.expect() instanceof Refused && kernel != null) {
            assertLayersReleased(kernel, context);
        }
        if (c.expect() instanceof Refused) {
            assertVerifyRefuses(c, variant, context);
        }
    }

    private static void assertRefused(HostileCase c, Refused r, Observation seen, String context) {
        assertEquals("Insecure", seen.getOr("security", "?"), "the load must be refused\n" + context);
        assertEquals(c.module(), seen.getOr("security.module", "?"), context);
        assertEquals(r.errno().name(), seen.getOr("security.errno", "?"), context);
        assertEquals(r.code(), seen.getOr("security.code", "?"), context);
        String reason = seen.getOr("security.reason", "");
        for (String name : r.names()) {
            assertTrue(Arrays.stream(name.split("\\|")).anyMatch(reason::contains), "the reason must name " + name + "\n" + context);
        }
        assertEquals("false", seen.getOr("loaded", "?"), context);
        assertEquals("1", seen.getOr("driver", "?"), "pkvm_driver's handler must still answer\n" + context);
    }

    private static void assertPanics(Panics p, Observation seen, String context) {
        String panic = seen.get("panic.boot").or(() -> seen.get("panic")).orElse(null);
        if (panic == null) {
            fail("the hypervisor must panic\n" + context);
        }
        if (!p.code().equals(HostileCases.HYP_PANIC)) {
            assertTrue(panic.contains(p.code()) || seen.getOr("log", "").contains(p.code()),
                    "the panic must carry " + p.code() + "\n" + context);
        }
        for (String name : p.names()) {
            assertTrue(panic.contains(name) || panic.contains(name.replace('.', '/')), "the panic must name " + name + "\n" + context);
        }
        assertMarkerAbsent(p.absentMarker(), seen, context);
    }

    private static void assertContained(HostileCase c, Contained k, Observation seen, String context) {
        assertEquals("true", seen.getOr("loaded", "?"), context);
        assertFalse(seen.get("panic").isPresent(), "no hyp panic\n" + context);
        for (int i = 0; i < k.results().size(); i++) {
            assertEquals(Long.toString(k.results().get(i)), seen.getOr("call." + i, "?"), "call " + i + "\n" + context);
        }
        assertEquals("1", seen.getOr("driver", "?"), "pkvm_driver's handler must still answer\n" + context);
        if (k.reported()) {
            assertTrue(seen.getOr("log.afterBoot", "").lines().anyMatch(l -> l.contains(c.module())),
                    "the misdeed must be reported in the kernel log, naming " + c.module() + "\n" + context);
        }
        assertMarkerAbsent(k.absentMarker(), seen, context);
    }

    private static void assertMarkerAbsent(String marker, Observation seen, String context) {
        if (marker != null) {
            assertFalse(seen.getOr("log", "").lines().anyMatch(l -> l.contains(marker)),
                    "EL2 code ran outside its trap: the hyp console shows " + marker + "\n" + context);
        }
    }

    private static void assertLayersReleased(HostKernel kernel, String context) {
        if (kernel.liveVendorLayers().stream().allMatch(m -> m.startsWith("acme.pkvm_driver"))) {
            return; // refused before any layer of it was defined: no collection to wait for
        }
        await().atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            System.gc();
            List<String> live = kernel.liveVendorLayers();
            assertTrue(live.stream().allMatch(m -> m.startsWith("acme.pkvm_driver")),
                    "the refused module's layers are still reachable: " + live + "\n" + context);
        });
    }

    /** {@code pkvm verify} refuses the same file: exit 1, a message, never a stack trace. */
    private static void assertVerifyRefuses(HostileCase c, Variant variant, String context) {
        StringWriter out = new StringWriter();
        int exit = Main.run(new PrintWriter(out), new PrintWriter(out), "verify", HostileModules.file(c, variant).toString());
        String printed = out.toString();
        assertNotEquals(0, exit, "pkvm verify must refuse it:\n" + printed + "\n" + context);
        assertFalse(printed.contains("\tat ") || printed.contains("Exception in"), "pkvm verify printed a stack trace:\n" + printed);
    }
}
