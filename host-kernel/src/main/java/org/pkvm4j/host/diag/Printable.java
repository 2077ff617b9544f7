package org.pkvm4j.host.diag;

/**
 * Names from a module file as a message may quote them. An entry name or a class-file name is the
 * attacker's text: a newline or an escape sequence in it would forge lines in dmesg, in a refusal or
 * in {@code pkvm verify}'s output, so control characters are written as {@code \\uXXXX}.
 */
public final class Printable {
    private Printable() {
    }

    /**
     * {@code name} with every ISO control character, and the Unicode line and paragraph separators
     * (which some readers take for a line break), as a {@code \\uXXXX} escape.
     */
    public static String of(String name) {
        if (name.chars().noneMatch(Printable::isLineBreaking)) {
            return name;
        }
        StringBuilder out = new StringBuilder(name.length() + 16);
        name.chars().forEach(c -> out.append(isLineBreaking(c) ? "\\u%04x".formatted(c) : String.valueOf((char) c)));
        return out.toString();
    }

    private static boolean isLineBreaking(int c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
    }

    /** The longest part of a parser's message {@link #reason} keeps. */
    public static final int MAX_REASON = 240;

    /**
     * Why a JDK parser (the Class-File API, {@code ModuleDescriptor.read}) refused bytes, as a
     * message may quote it: its own message quotes names from the bytes (an attribute name, a
     * package), so control characters are escaped and the text is cut at {@value #MAX_REASON}
     * characters.
     */
    public static String reason(Throwable e) {
        return quote(String.valueOf(e.getMessage()));
    }

    /**
     * A name read from a class file (a class or member name may have 65535 characters) as a
     * message quotes it: escaped as {@link #of}, cut at {@value #MAX_REASON} characters.
     */
    public static String quote(String text) {
        String printable = of(text);
        return printable.length() <= MAX_REASON ? printable : printable.substring(0, MAX_REASON) + "...";
    }

    /**
     * Where a text file (a boot script, an allow-list, an ABI dump, a module's records) holds a
     * character no line of it may: an ISO control character other than a tab or a line break
     * ({@code \n}, or {@code \r\n}: a lone {@code \r} returns a terminal's cursor and overwrites
     * what a message printed before it), or a Unicode line or paragraph separator, which some
     * readers take for a line break and others do not. Its parsers quote lines in their messages,
     * so they refuse such a text before parsing it, whatever line it is on.
     *
     * @return the index of the first such character, or -1 if there is none
     */
    public static int firstControl(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean crlf = c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n';
            if ((Character.isISOControl(c) && c != '\t' && c != '\n' && !crlf) || c == '\u2028' || c == '\u2029') {
                return i;
            }
        }
        return -1;
    }

    /** "control character U+XXXX at column C" for the character at {@code index} of {@code text}. */
    public static String describeControl(String text, int index) {
        int lineStart = text.lastIndexOf('\n', index - 1) + 1;
        return "control character U+%04X at column %d".formatted((int) text.charAt(index), index - lineStart + 1);
    }

    /** The 1-based line of {@code index} in {@code text}: one more than the {@code \n} before it. */
    public static int lineOf(String text, int index) {
        // A loop, not a substring and a stream: every refusal of a text parser counts its line.
        int line = 1;
        for (int i = 0; i < index; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
