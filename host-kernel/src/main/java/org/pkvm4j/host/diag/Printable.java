package org.pkvm4j.host.diag;

/**
 * Names from a module file as a message may quote them. An entry name or a class-file name is the
 * attacker's text: a newline or an escape sequence in it would forge lines in dmesg, in a refusal or
 * in {@code pkvm verify}'s output, so control characters are written as {@code \\uXXXX}.
 */
public final class Printable {
    private Printable() {
    }

    /** {@code name} with every ISO control character as a {@code \\uXXXX} escape. */
    public static String of(String name) {
        if (name.chars().noneMatch(Character::isISOControl)) {
            return name;
        }
        StringBuilder out = new StringBuilder(name.length() + 16);
        name.chars().forEach(c -> out.append(Character.isISOControl(c) ? "\\u%04x".formatted(c) : String.valueOf((char) c)));
        return out.toString();
    }
}
