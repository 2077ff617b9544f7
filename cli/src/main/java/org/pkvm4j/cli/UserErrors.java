package org.pkvm4j.cli;

import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import picocli.CommandLine;

/**
 * Turns the exceptions a user can cause into a one-line message and an exit code; anything else is
 * a bug and keeps its stack trace.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult)
            throws Exception {
        if (e instanceof BootConfigException) {
            cmd.getErr().println("pkvm: " + e.getMessage() + " [" + ErrorCode.of(e).code() + "]");
            return Main.USAGE;
        }
        if (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) {
            // A file the user named that cannot be read: say which, without a stack trace.
            cmd.getErr().println("pkvm: cannot read " + e.getMessage()
                    + (e instanceof java.nio.file.NoSuchFileException ? ": no such file" : "")
                    + " [" + ErrorCode.CLI_FILE.code() + "]");
            return Main.FAILED;
        }
        if (e instanceof PkvmException p) {
            cmd.getErr().println("pkvm: " + p.getMessage() + " [" + ErrorCode.of(p).code() + "]");
            return Main.FAILED;
        }
        throw e;
    }
}
