package org.pkvm4j.cli.shell;

import org.pkvm4j.host.HostKernel;

/**
 * {@code echo TEXT}: prints the rest of the line as it is.
 *
 * @param text what to print
 */
public record Echo(String text) implements ShellCommand {
    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        return Outcome.ok(text);
    }
}
