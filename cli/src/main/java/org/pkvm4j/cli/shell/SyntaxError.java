package org.pkvm4j.cli.shell;

/** A command line of the shell that does not parse; {@link Script} adds the file and line. */
public final class SyntaxError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A syntax error with a message that says what is wrong and what was expected. */
    public SyntaxError(String message) {
        super(message);
    }
}
