package org.pkvm4j.cli.shell;

import java.util.regex.Pattern;
import org.pkvm4j.host.HostKernel;

/**
 * {@code expect REGEX}: checks that {@code REGEX} (the rest of the line, a Java regex, {@code ^}
 * and {@code $} at line ends) is found in the output of the command before it. A failed expect
 * stops the script and fails it; one that matches a failed command's output makes that failure
 * an expected one.
 *
 * @param regex the pattern
 */
public record Expect(Pattern regex) implements ShellCommand {
    static Expect parse(String rest) {
        if (rest.isEmpty()) {
            throw new SyntaxError("expect: missing REGEX");
        }
        return new Expect(Dmesg.compile(rest));
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        // Matched as printed, every line ended: so ^$ finds an empty output (Java's MULTILINE ^ never
        // matches at the very end of the input, and an empty output is nothing but its end).
        return regex.matcher(last.text() + "\n").find() ? Outcome.ok("")
                : Outcome.failed("expect failed: /" + regex.pattern() + "/ not found in the output above");
    }
}
