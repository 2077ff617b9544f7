package org.pkvm4j.cli.shell;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into words at white space; a word may be quoted with {@code '...'} or
 * {@code "..."} to hold spaces (no escapes: a backslash is an ordinary character, as a regex needs).
 */
final class Words {
    private Words() {
    }

    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                word = word == null ? new StringBuilder() : word;
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = word == null ? new StringBuilder() : word;
                word.append(c);
            }
        }
        if (quote != 0) {
            throw new SyntaxError("unterminated " + quote + " quote");
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
