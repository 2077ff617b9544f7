package org.pkvm4j.cli.shell;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.machine.HypPanicException;

/**
 * Runs commands on a booted device and prints a transcript: each command after a {@code pkvm>}
 * prompt, then its output.
 *
 * <p>A command the kernel refuses prints its errno and the script goes on; that failure counts
 * against the script unless the next line is an {@code expect} that matches it. A failed {@code
 * expect} stops the script. Nothing here throws for a device that refuses or panics: that is all
 * output.
 */
public final class Shell {
    /** The prompt printed before each command. */
    public static final String PROMPT = "pkvm> ";

    private final HostKernel kernel;
    private final PrintWriter out;

    /**
     * How a script ended.
     *
     * @param commands how many commands ran (expects included)
     * @param failures the commands whose failure no expect checked, as {@code source:line: text}
     * @param failedExpect the expect that stopped the script, if one did
     */
    public record Result(int commands, List<String> failures, Optional<String> failedExpect) {
        /** Copies the list. */
        public Result {
            failures = List.copyOf(failures);
        }

        /** Whether every command succeeded or failed as expected, and every expect matched. */
        public boolean ok() {
            return failures.isEmpty() && failedExpect.isEmpty();
        }
    }

    /** A shell on {@code kernel} printing to {@code out}. */
    public Shell(HostKernel kernel, PrintWriter out) {
        this.kernel = kernel;
        this.out = out;
    }

    /** Runs {@code script} to its end or its first failed expect. */
    public Result run(Script script) {
        List<String> failures = new ArrayList<>();
        Outcome last = Outcome.ok("");
        String pendingFailure = null;
        int ran = 0;
        for (Script.Line line : script.lines()) {
            Outcome outcome = runOne(line.text(), line.command(), last);
            ran++;
            String where = script.source() + ":" + line.number();
            if (line.command() instanceof Expect) {
                if (outcome.failed()) {
                    out.flush();
                    return new Result(ran, failures, Optional.of(where + ": " + outcome.text()));
                }
                pendingFailure = null;
                continue;
            }
            if (pendingFailure != null) {
                failures.add(pendingFailure);
            }
            pendingFailure = outcome.failed() ? where + ": " + line.text() : null;
            last = outcome;
        }
        if (pendingFailure != null) {
            failures.add(pendingFailure);
        }
        out.flush();
        return new Result(ran, failures, Optional.empty());
    }

    /** Runs one command with the prompt and its output; what it printed and whether it failed. */
    public Outcome runOne(String text, ShellCommand command, Outcome last) {
        out.println(PROMPT + text);
        Outcome outcome = execute(kernel, text, command, last);
        if (!outcome.text().isEmpty()) {
            out.println(outcome.text());
        }
        out.flush();
        return outcome;
    }

    /**
     * Runs one command without printing anything: a refusal (errno) or a hyp panic becomes a failed
     * outcome that says so, prefixed with the command's name and followed by its error code.
     */
    public static Outcome execute(HostKernel kernel, String text, ShellCommand command, Outcome last) {
        try {
            return command.run(kernel, last);
        } catch (PkvmException e) {
            return Outcome.failed(name(text) + ": " + e.getMessage() + " [" + ErrorCode.of(e).code() + "]");
        } catch (HypPanicException e) {
            return Outcome.failed(name(text) + ": the hypervisor panicked: " + e.getMessage()
                    + " [" + ErrorCode.HYP_PANIC.code() + "]");
        }
    }

    private static String name(String text) {
        int space = text.indexOf(' ');
        return space < 0 ? text : text.substring(0, space);
    }
}
