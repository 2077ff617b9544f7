package org.pkvm4j.cli.shell;

import org.pkvm4j.host.diag.ErrorCode;

/**
 * A script that cannot be run: a line that does not parse or a file that cannot be read. Its
 * message names the file and, for a parse error, the line: {@code workload.pkvm:3: unknown
 * command 'lsmd'}.
 */
public final class ScriptException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode code;

    /** An error at {@code line} (1-based) of {@code source}: {@link ErrorCode#CLI_SCRIPT}. */
    public ScriptException(String source, int line, String message) {
        super(source + ":" + line + ": " + message);
        this.code = ErrorCode.CLI_SCRIPT;
    }

    /** An error about the whole of {@code source}, which cannot be read: {@link ErrorCode#CLI_FILE}. */
    public ScriptException(String source, String message, Throwable cause) {
        super(source + ": " + message, cause);
        this.code = ErrorCode.CLI_FILE;
    }

    /** The code printed next to the message. */
    public ErrorCode code() {
        return code;
    }
}
