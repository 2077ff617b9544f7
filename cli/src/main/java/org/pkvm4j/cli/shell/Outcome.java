package org.pkvm4j.cli.shell;

/**
 * What one command printed, and whether it failed.
 *
 * @param text its output, lines separated by {@code \n}, without a trailing newline; may be empty
 * @param failed whether the command failed (an errno, a leak, an SMCCC error status)
 */
public record Outcome(String text, boolean failed) {
    /** A successful outcome. */
    public static Outcome ok(String text) {
        return new Outcome(text, false);
    }

    /** A failed outcome. */
    public static Outcome failed(String text) {
        return new Outcome(text, true);
    }
}
