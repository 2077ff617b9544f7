package org.pkvm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command has a working {@code --help} that documents its exit codes, and a usage error exits
 * 2 with a message and no stack trace; a script that does not parse exits 2 naming its line, before
 * any device boots.
 */
class HelpAndUsageTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /** Every command path: {@code [boot]}, {@code [abi, diff]}, ... except picocli's own {@code help}. */
    private static List<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), paths);
        return paths;
    }

    private static void collect(CommandLine cmd, List<String> path, List<List<String>> paths) {
        cmd.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) {
                return;
            }
            List<String> p = new ArrayList<>(path);
            p.add(name);
            paths.add(p);
            collect(sub, p, paths);
        });
    }

    @TestFactory
    Stream<DynamicTest> everyCommandHasHelpWithExitCodes() {
        List<List<String>> paths = commandPaths();
        assertTrue(paths.size() >= 10, paths::toString);
        return paths.stream().map(path -> DynamicTest.dynamicTest(String.join(" ", path) + " --help", () -> {
            out.getBuffer().setLength(0);
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            assertEquals(0, run(args.toArray(String[]::new)), err::toString);
            String help = out.toString();
            assertTrue(help.startsWith("Usage: pkvm " + String.join(" ", path)), help);
            assertTrue(help.contains("Exit codes"), "no exit codes in the help of " + path + ":\n" + help);
            assertTrue(help.matches("(?s).*\\n\\s+2\\s+[^\\n]*usage.*"), "exit code 2 documented as usage: " + help);
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyCommandRejectsAnUnknownOptionWithExitTwo() {
        return commandPaths().stream().map(path -> DynamicTest.dynamicTest(String.join(" ", path) + " --bogus", () -> {
            err.getBuffer().setLength(0);
            List<String> args = new ArrayList<>(path);
            args.add("--bogus");
            assertEquals(2, run(args.toArray(String[]::new)));
            // picocli reports a missing required parameter first, else the unknown option; both are usage errors.
            assertTrue(err.toString().matches("(?s)(Unknown option: '--bogus'|Missing required).*Usage: pkvm .*"),
                    err::toString);
            assertFalse(err.toString().contains("\tat "), "no stack trace");
        }));
    }

    @Test
    void topLevelHelpListsTheDeviceCommands() {
        assertEquals(0, run("--help"));
        for (String c : List.of("boot", "lsmod", "dmesg", "hvc", "modinfo", "verify", "abi", "initramfs", "modpost",
                "new-module", "explore", "test", "bench")) {
            assertTrue(out.toString().contains("  " + c + " "), c + " missing in:\n" + out);
        }
        assertTrue(out.toString().contains("Exit codes:"));
    }

    /** Scenario: test and bench, which the ./pkvm script runs, print their usage with --help and -h and exit 0. */
    @Test
    void testAndBenchHaveTheirUsage() {
        for (String c : List.of("test", "bench")) {
            for (String help : List.of("--help", "-h")) {
                out.getBuffer().setLength(0);
                assertEquals(0, run(c, help), err::toString);
                assertTrue(out.toString().startsWith("Usage: pkvm " + c), out::toString);
                assertTrue(out.toString().contains("./pkvm script"), out::toString);
            }
        }
        assertTrue(out.toString().contains("--jmh-help"), out::toString);
    }

    /** Scenario: test and bench started without the ./pkvm script say how to run them, exit 2. */
    @Test
    void testAndBenchOutsideTheScriptAreUsageErrors() {
        assertEquals(2, run("test"));
        assertEquals(2, run("bench"));
        assertTrue(err.toString().contains("start it with ./pkvm test") && err.toString().contains("./pkvm bench"),
                err::toString);
    }

    @Test
    void aScriptThatDoesNotParseExitsTwoNamingItsLineBeforeAnyBoot() throws Exception {
        Path script = Files.writeString(dir.resolve("w.pkvm"), "# workload\nlsmod\nhvc kvstore zero\n");
        // No hypervisor image or initramfs is needed: the script is refused before the boot.
        assertEquals(2, run("boot", "--initramfs", dir.resolve("none").toString(), "--script", script.toString()));
        assertEquals("pkvm: " + script + ":3: hvc HVC 'zero' is not a number (decimal or 0x hex) [PKVM-CLI-SCRIPT]\n",
                err.toString().replace("\r\n", "\n"));
        assertEquals("", out.toString());
    }

    @Test
    void aMissingScriptExitsTwo() {
        assertEquals(2, run("boot", "--script", dir.resolve("missing.pkvm").toString()));
        assertEquals("pkvm: " + dir.resolve("missing.pkvm") + ": cannot read the script: no such file [PKVM-CLI-FILE]\n",
                err.toString().replace("\r\n", "\n"));
    }

    @Test
    void badHvcArgumentsAndRegexesAreUsageErrors() {
        assertEquals(2, run("hvc", "kvstore", "0", "1", "2", "3", "4"));
        assertEquals(2, run("hvc", "kvstore", "nine"));
        assertTrue(err.toString().contains("hvc HVC 'nine' is not a number"), err::toString);
        assertEquals(2, run("dmesg", "--grep", "("));
        assertTrue(err.toString().contains("--grep: '(' is not a valid regex"), err::toString);
        assertFalse(err.toString().contains("\tat "), "no stack trace");
    }
}
