package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The summary {@code ./pkvm test} prints from Maven's log ({@code etc/test-summary.awk}): tests per
 * module, the failing tests and where the log is on a failure, and a last line CI can count.
 */
class TestSummaryIT {
    private static final Path SUMMARY = Path.of(System.getProperty("user.dir")).getParent().resolve("etc/test-summary.awk");

    @TempDir
    Path dir;

    private static final String GREEN = """
            [INFO] Building pkvm4j machine 0.1.0-SNAPSHOT                        [2/3]
            [INFO] --- surefire:3.5.4:test (default-test) @ pkvm4j-machine ---
            [INFO] Tests run: 60, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.1 s -- in org.pkvm4j.machine.CpuTest
            [INFO] Tests run: 3, Failures: 0, Errors: 0, Skipped: 1, Time elapsed: 0.1 s -- in org.pkvm4j.machine.UartTest
            [INFO] Results:
            [INFO]
            [INFO] Tests run: 63, Failures: 0, Errors: 0, Skipped: 1
            [INFO] Building pkvm4j integration tests 0.1.0-SNAPSHOT              [3/3]
            [INFO] --- surefire:3.5.4:test (default-test) @ pkvm4j-integration-tests ---
            [INFO] No tests to run.
            [INFO] --- failsafe:3.5.4:integration-test (default) @ pkvm4j-integration-tests ---
            [INFO] Results:
            [INFO]
            [INFO] Tests run: 123, Failures: 0, Errors: 0, Skipped: 0
            [INFO] --- failsafe:3.5.4:verify (default) @ pkvm4j-integration-tests ---
            [INFO] BUILD SUCCESS
            [INFO] Total time:  39.630 s
            """;

    private static final String RED = """
            [INFO] --- surefire:3.5.4:test (default-test) @ pkvm4j-host-kernel ---
            [ERROR] Tests run: 5, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.2 s <<< FAILURE! -- in org.pkvm4j.cli.HelpAndUsageTest
            [ERROR] org.pkvm4j.cli.HelpAndUsageTest.topLevelHelp -- Time elapsed: 0.01 s <<< FAILURE!
            [INFO] Results:
            [INFO]
            [ERROR] Failures:
            [ERROR]   HelpAndUsageTest.topLevelHelp:92 test missing in the help
            [ERROR] Errors:
            [ERROR]   ShellTest.deadlock » Timeout deadlock() timed out after 3 minutes
            [INFO]
            [ERROR] Tests run: 306, Failures: 1, Errors: 1, Skipped: 0
            [INFO] BUILD FAILURE
            [INFO] Total time:  12.5 s
            [ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.5.4:test (default-test) on project pkvm4j-host-kernel: There are test failures.
            [ERROR] -> [Help 1]
            """;

    private List<String> summary(String log, int rc) throws IOException, InterruptedException {
        Path file = Files.writeString(dir.resolve("maven.log"), log);
        Process p = new ProcessBuilder("awk", "-v", "rc=" + rc, "-v", "logfile=target/pkvm-test.log", "-f", SUMMARY.toString(),
                file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }

    /**
     * Scenario: a green build: one row per module that ran tests, unit and integration apart, with
     * the time of its test classes, and the count line last.
     */
    @Test
    void aGreenBuildCountsTestsPerModule() throws Exception {
        List<String> lines = summary(GREEN, 0);
        assertTrue(lines.getFirst().matches("pkvm test: module +unit +integration +failures +errors +skipped +time"), lines::toString);
        assertTrue(lines.get(1).matches(" +pkvm4j-machine +63 +0 +0 +0 +1 +0\\.2 s"), lines::toString);
        assertTrue(lines.get(2).matches(" +pkvm4j-integration-tests +0 +123 +0 +0 +0 +0\\.0 s"), lines::toString);
        assertEquals("pkvm test: 185 passed, 0 failed, 1 skipped in 39.630 s (BUILD SUCCESS; full log: target/pkvm-test.log)",
                lines.getLast());
        assertEquals(4, lines.size(), lines::toString);
    }

    /** Scenario: a failed build names each failing test, Maven's failed goal and the log, and counts the failures. */
    @Test
    void aFailedBuildNamesTheFailingTestsAndTheLog() throws Exception {
        List<String> lines = summary(RED, 1);
        assertTrue(lines.contains("pkvm test: failing tests:"), lines::toString);
        assertTrue(lines.contains("  HelpAndUsageTest.topLevelHelp:92 test missing in the help"), lines::toString);
        assertTrue(lines.contains("  ShellTest.deadlock » Timeout deadlock() timed out after 3 minutes"), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("pkvm test: Failed to execute goal") && l.contains("pkvm4j-host-kernel")),
                lines::toString);
        assertEquals("pkvm test: 304 passed, 2 failed, 0 skipped in 12.5 s (FAILED; full log: target/pkvm-test.log)",
                lines.getLast());
        assertFalse(lines.stream().anyMatch(l -> l.contains("[Help 1]")), lines::toString);
    }
}
