package org.pkvm4j.cli.shell;

import org.pkvm4j.host.HostKernel;

/** One parsed command of a workload: it runs against a booted device and says what happened. */
public interface ShellCommand {
    /**
     * Runs the command.
     *
     * @param kernel the booted device
     * @param last the outcome of the command before it ({@code expect} reads it); empty text first
     * @return what it printed and whether it failed
     * @throws org.pkvm4j.api.PkvmException when the kernel refuses it; the shell prints the errno
     */
    Outcome run(HostKernel kernel, Outcome last);
}
