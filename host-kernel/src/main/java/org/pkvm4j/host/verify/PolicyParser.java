package org.pkvm4j.host.verify;

import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.host.verify.El2Policy.Kind;
import org.pkvm4j.host.verify.El2Policy.Rule;

/**
 * Reads the policy format: one rule a line, {@code ACTION [<KIND>] [PATTERN] [: REASON]}, {@code #}
 * to the end of a line is a comment. Strict on purpose: a policy that means something other than
 * what it says would let EL2 code through, so every malformed line is an error naming its line.
 */
final class PolicyParser {
    private PolicyParser() {
    }

    static List<Rule> parse(String source, String text) {
        List<Rule> rules = new ArrayList<>();
        int n = 0;
        for (int start = 0; start <= text.length(); n++) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end;
            String line = text.substring(start, end);
            start = end + 1;
            int hash = line.indexOf('#');
            line = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (!line.isEmpty()) {
                rules.add(rule(source, n + 1, line));
            }
        }
        return rules;
    }

    /** The words of {@code head}, split at whitespace; by hand, as this runs at boot. */
    private static List<String> words(String head) {
        List<String> words = new ArrayList<>();
        int i = 0;
        while (i < head.length()) {
            while (i < head.length() && Character.isWhitespace(head.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < head.length() && !Character.isWhitespace(head.charAt(i))) {
                i++;
            }
            if (i > start) {
                words.add(head.substring(start, i));
            }
        }
        return words;
    }

    private static Rule rule(String source, int n, String line) {
        // Descriptors and patterns never hold ':', so the first one starts the reason.
        int colon = line.indexOf(':');
        String head = (colon < 0 ? line : line.substring(0, colon)).strip();
        String reason = colon < 0 ? null : line.substring(colon + 1).strip();
        List<String> words = words(head);
        if (words.isEmpty()) {
            throw error(source, n, "expected allow or deny before ':'");
        }
        boolean allow = switch (words.getFirst()) {
            case "allow" -> true;
            case "deny" -> false;
            default -> throw error(source, n, "expected allow or deny, found '" + words.getFirst() + "'");
        };
        int next = 1;
        Kind kind = Kind.REFERENCE;
        if (words.size() > 1 && words.get(1).startsWith("<")) {
            kind = kind(source, n, words.get(1));
            next = 2;
        }
        String pattern = "";
        if (kind.hasPattern()) {
            if (words.size() <= next) {
                throw error(source, n, "missing pattern after " + words.getFirst());
            }
            pattern = words.get(next++);
            checkPattern(source, n, pattern);
        }
        if (words.size() > next) {
            throw error(source, n, "unexpected '" + words.get(next) + "'; expected "
                    + (kind.hasPattern() ? "one pattern" : "no pattern after " + kind.token()) + ", then ': reason' for deny");
        }
        if (allow && reason != null) {
            throw error(source, n, "allow takes no reason; write it in a # comment");
        }
        if (!allow && (reason == null || reason.isEmpty())) {
            throw error(source, n, "deny needs a reason: deny PATTERN : REASON");
        }
        return new Rule(n, allow, kind, pattern, allow ? "" : reason);
    }

    private static Kind kind(String source, int n, String word) {
        for (Kind k : Kind.values()) {
            if (!k.token().isEmpty() && k.token().equals(word)) {
                return k;
            }
        }
        throw error(source, n, "unknown kind " + word + "; expected <bootstrap>, <monitor>, <native> or <finalizer>");
    }

    private static void checkPattern(String source, int n, String pattern) {
        if (pattern.contains("***")) {
            throw error(source, n, "'***' in pattern " + pattern + "; use * (within a name) or ** (across names)");
        }
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (!Character.isJavaIdentifierPart(c) && ".*()[];/<>".indexOf(c) < 0) {
                throw error(source, n, "bad character '" + c + "' in pattern " + pattern);
            }
        }
        if (pattern.startsWith(".") || pattern.contains("..")) {
            throw error(source, n, "empty name in pattern " + pattern);
        }
    }

    private static IllegalArgumentException error(String source, int n, String message) {
        return new IllegalArgumentException(source + " line " + n + ": " + message);
    }
}
