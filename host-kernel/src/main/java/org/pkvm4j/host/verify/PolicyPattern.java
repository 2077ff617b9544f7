package org.pkvm4j.host.verify;

/**
 * One rule's pattern over {@code OWNER.MEMBER(DESCRIPTOR)}: {@code *} is any run of characters but
 * {@code '.'}, {@code **} any run of characters, and a trailing {@code .**} also matches what comes
 * before it (so {@code java.lang.Thread.**} names the class and every member).
 *
 * <p>Descriptors use {@code '/'}, never {@code '.'}, so {@code *} spans a member name with its
 * descriptor but never a package or class boundary. Matched by hand rather than by regular
 * expression: the verifier runs on every load, and at boot most of its cost would otherwise be
 * compiling patterns. A subject that lacks the pattern's literal prefix is rejected first.
 */
final class PolicyPattern {
    private final String text;
    private final String body;
    private final boolean orBelow;
    private final String prefix;

    private PolicyPattern(String text) {
        this.text = text;
        this.orBelow = text.endsWith(".**");
        this.body = orBelow ? text.substring(0, text.length() - 3) : text;
        int star = body.indexOf('*');
        this.prefix = star < 0 ? body : body.substring(0, star);
    }

    /** Compiles {@code text}; the parser has already checked its characters. */
    static PolicyPattern compile(String text) {
        return new PolicyPattern(text);
    }

    /** Whether {@code subject} matches. */
    boolean matches(String subject) {
        if (!subject.startsWith(prefix)) {
            return false;
        }
        // The prefix is literal in both the pattern and its body: matching starts after it.
        int n = prefix.length();
        return glob(text, n, subject, n) || orBelow && glob(body, n, subject, n);
    }

    /** Whether {@code s} from {@code si} matches {@code p} from {@code pi}. */
    private static boolean glob(String p, int pi, String s, int si) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                boolean any = pi + 1 < p.length() && p.charAt(pi + 1) == '*';
                int next = pi + (any ? 2 : 1);
                for (int k = si; k <= s.length(); k++) {
                    if (glob(p, next, s, k)) {
                        return true;
                    }
                    if (k < s.length() && !any && s.charAt(k) == '.') {
                        return false; // '*' stops at a name boundary
                    }
                }
                return false;
            }
            if (si >= s.length() || s.charAt(si) != c) {
                return false;
            }
            pi++;
            si++;
        }
        return si == s.length();
    }

    @Override
    public String toString() {
        return text;
    }
}
