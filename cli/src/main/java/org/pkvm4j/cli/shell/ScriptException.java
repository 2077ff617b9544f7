package org.pkvm4j.cli.shell;

/**
 * A script that cannot be run: a line that does not parse or a file that cannot be read. Its
 * message names the file and, for a parse error, the line: {@code workload.pkvm:3: unknown
 * command 'lsmd'}.
 */
public final class ScriptException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error at {@code line} (1-based) of {@code source}. */
    public ScriptException(String source, int line, String message) {
        super(source + ":" + line + ": " + message);
    }

    /** An error about the whole of {@code source}. */
    public ScriptException(String source, String message, Throwable cause) {
        super(source + ": " + message, cause);
    }
}
