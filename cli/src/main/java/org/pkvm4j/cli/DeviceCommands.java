package org.pkvm4j.cli;

import java.io.PrintWriter;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.cli.shell.Outcome;
import org.pkvm4j.cli.shell.Script;
import org.pkvm4j.cli.shell.ScriptException;
import org.pkvm4j.cli.shell.Shell;
import org.pkvm4j.cli.shell.ShellCommand;
import picocli.CommandLine.Model.CommandSpec;

/** Runs shell commands and scripts for the CLI: boot, run, and turn the outcome into an exit code. */
final class DeviceCommands {
    /** The exit codes of a command that boots a device and runs a workload on it. */
    static final String[] EXIT_CODES = {
        "0:success: every command succeeded (or failed as the next expect said), every expect matched",
        "1:a command failed, an expect did not match, or the device booted insecure or panicked",
        "2:usage error: unknown option, a script line that does not parse (FILE:LINE), bad command line, no initramfs",
    };

    private DeviceCommands() {
    }

    /** Boots with {@code device} and runs one command, printing only its output. */
    static int runOne(CommandSpec spec, DeviceOptions device, String text, ShellCommand command) {
        HostKernel kernel = device.boot();
        PrintWriter out = spec.commandLine().getOut();
        // One command needs no transcript: its output alone, as lsmod or dmesg print it; errors on stderr.
        Outcome outcome = Shell.execute(kernel, text, command, Outcome.ok(""));
        if (!outcome.text().isEmpty()) {
            (outcome.failed() ? spec.commandLine().getErr() : out).println(outcome.text());
        }
        out.flush();
        boolean bootOk = DeviceOptions.bootOk(kernel, spec.commandLine().getErr());
        spec.commandLine().getErr().flush();
        return outcome.failed() || !bootOk ? Main.FAILED : 0;
    }

    /**
     * Reads and parses {@code arg} ({@code -} for standard input) before anything boots.
     *
     * @return the script, or null after printing the error (exit 2)
     */
    static Script parse(CommandSpec spec, String arg) {
        try {
            return Script.read(arg, System.in);
        } catch (ScriptException e) {
            spec.commandLine().getErr().println("pkvm: " + e.getMessage() + " [" + e.code().code() + "]");
            spec.commandLine().getErr().flush();
            return null;
        }
    }

    /** Runs {@code script} on {@code kernel}, printing the transcript and a summary line. */
    static int runScript(CommandSpec spec, HostKernel kernel, Script script) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean bootOk = DeviceOptions.bootOk(kernel, err);
        Shell.Result result = new Shell(kernel, out).run(script);
        result.failedExpect().ifPresent(e -> err.println("pkvm: " + e));
        result.failures().forEach(f -> err.println("pkvm: " + f + ": failed"));
        out.printf("script %s: %d command(s), %s%n", script.source(), result.commands(),
                result.ok() ? "OK" : result.failedExpect().isPresent() ? "FAILED (an expect did not match)"
                        : "FAILED (" + result.failures().size() + " unexpected failure(s))");
        out.flush();
        err.flush();
        return result.ok() && bootOk ? 0 : Main.FAILED;
    }
}
