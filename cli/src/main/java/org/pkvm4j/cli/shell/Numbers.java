package org.pkvm4j.cli.shell;

/** Register and argument values as a user types them: decimal, {@code 0x} hex, optionally negative. */
final class Numbers {
    private Numbers() {
    }

    /**
     * Parses {@code text} as a 64-bit value; hex may use all 64 bits ({@code 0xC6000080}, {@code
     * 0xffffffffffffffff}).
     *
     * @throws SyntaxError naming {@code what} if it is not a number
     */
    static long parse(String what, String text) {
        try {
            boolean negative = text.startsWith("-");
            String digits = negative ? text.substring(1) : text;
            long value = digits.startsWith("0x") || digits.startsWith("0X")
                    ? Long.parseUnsignedLong(digits.substring(2), 16)
                    : Long.parseLong(digits);
            return negative ? -value : value;
        } catch (NumberFormatException e) {
            throw new SyntaxError(what + " '" + text + "' is not a number (decimal or 0x hex)");
        }
    }

    /** As {@link #parse}, for a value that must fit an {@code int}. */
    static int parseInt(String what, String text) {
        long value = parse(what, text);
        if (value != (int) value) {
            throw new SyntaxError(what + " '" + text + "' does not fit 32 bits");
        }
        return (int) value;
    }
}
