package org.pkvm4j.fuzz;

import org.pkvm4j.api.PkvmException;

/**
 * The contract every fuzz target asserts: a parser either succeeds or refuses its input with the
 * project's own refusal, whose message says what was wrong. Anything else is a finding: another
 * throwable (an index out of bounds, a NullPointerException, a StackOverflowError, an
 * OutOfMemoryError), a refusal without an errno, or a message that is empty, unbounded, or carries
 * an unquoted control character other than a tab (a newline or an escape sequence in a message forges lines of
 * dmesg and {@code pkvm verify}, security.md). Hangs are caught by the engine's per-input timeout
 * (fuzzing) and JUnit's per-invocation timeout (regression), memory by {@code -Xmx} and libFuzzer's
 * RSS limit.
 */
public final class Contract {
    /** The longest message a refusal may carry: it names what was wrong, it does not quote the input. */
    public static final int MAX_MESSAGE = 4096;

    /** A parse or check that may throw anything: the target's call. */
    @FunctionalInterface
    public interface Call {
        void run() throws Throwable;
    }

    private Contract() {
    }

    /**
     * Runs {@code call}; returns normally if it succeeded or was refused with one of {@code refusals}
     * (always including {@link PkvmException}), and throws {@link AssertionError} with the original
     * throwable as its cause otherwise.
     */
    public static void succeedsOrRefuses(String target, Call call, Class<?>... refusals) {
        try {
            call.run();
        } catch (PkvmException e) {
            if (e.errno() == null) {
                throw new AssertionError(target + ": refusal without an errno: " + e, e);
            }
            checkMessage(target, e);
        } catch (Throwable t) {
            if (!isOneOf(t, refusals)) {
                throw new AssertionError(target + ": not a refusal: " + t, t);
            }
            checkMessage(target, t);
        }
    }

    private static boolean isOneOf(Throwable t, Class<?>[] types) {
        for (Class<?> type : types) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** A message for a user: present, bounded, and free of unquoted control characters. */
    public static void checkMessage(String target, Throwable t) {
        checkText(target, t.getClass().getSimpleName() + " message", t.getMessage(), t);
    }

    /** {@code text} (a refusal's message, a violation's line) is one printable line for a user. */
    public static void checkText(String target, String what, String text, Throwable cause) {
        if (text == null || text.isBlank()) {
            throw new AssertionError(target + ": " + what + " is empty: it does not say what was wrong", cause);
        }
        if (text.length() > MAX_MESSAGE) {
            throw new AssertionError(target + ": " + what + " is " + text.length() + " characters, over "
                    + MAX_MESSAGE + ": " + text.substring(0, 200) + "...", cause);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((Character.isISOControl(c) && c != '\t') || c == '\u2028' || c == '\u2029') {
                throw new AssertionError(target + ": " + what + " carries control character U+%04X at %d: %s"
                        .formatted((int) c, i, text.replaceAll("\\p{Cntrl}", "?")), cause);
            }
        }
    }
}
