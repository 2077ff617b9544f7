package org.pkvm4j.host.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.verify.AllowlistEntry.Kind;

/**
 * Reads the allow-list format: one entry a line, {@code #} to the end of a line a comment.
 *
 * <pre>
 * OWNER                            the class as a type only
 * OWNER.*                          the class and every public or protected member it declares
 * OWNER.* except NAME NAME...      the same but the members so named (every overload)
 * OWNER.NAME(DESCRIPTOR)           one method or constructor ({@code <init>}), exactly
 * OWNER.NAME:DESCRIPTOR            one field, exactly
 * bootstrap OWNER.NAME(DESCRIPTOR) a bootstrap method, exactly
 * </pre>
 *
 * OWNER is a binary name ({@code java.util.Map$Entry}); descriptors are the JVM's. Strict on
 * purpose: an entry that means something else than it says would admit EL2 code, so every
 * malformed line, and every line naming a class or member the running JDK lacks (checked by
 * {@link El2Allowlist}), is an error naming its line.
 */
final class AllowlistParser {
    private AllowlistParser() {
    }

    static List<AllowlistEntry> parse(String source, String text) {
        int control = Printable.firstControl(text);
        if (control >= 0) {
            throw error(source, Printable.lineOf(text, control), Printable.describeControl(text, control));
        }
        List<AllowlistEntry> entries = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int n = 0;
        for (int start = 0; start <= text.length(); ) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end;
            String line = text.substring(start, end);
            start = end + 1;
            n++;
            int hash = line.indexOf('#');
            line = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (line.isEmpty()) {
                continue;
            }
            AllowlistEntry e = entry(source, n, line);
            String key = e.kind() == Kind.BOOTSTRAP ? "bootstrap " + e.owner() + "." + e.member()
                    : e.kind() == Kind.CLASS || e.kind() == Kind.WHOLE_CLASS ? e.owner() : e.owner() + "." + e.member();
            Integer before = seen.putIfAbsent(key, n);
            if (before != null) {
                throw error(source, n, key + " is already on line " + before);
            }
            entries.add(e);
        }
        return entries;
    }

    private static AllowlistEntry entry(String source, int n, String line) {
        String[] words = line.split("\\s+");
        if (words[0].equals("bootstrap")) {
            if (words.length != 2 || words[1].indexOf('(') < 0) {
                throw error(source, n, "expected bootstrap OWNER.NAME(DESCRIPTOR)");
            }
            String[] om = split(source, n, words[1], words[1].indexOf('('));
            return new AllowlistEntry(n, Kind.BOOTSTRAP, om[0], om[1], List.of());
        }
        String head = words[0];
        if (head.endsWith(".*")) {
            List<String> except = List.of();
            if (words.length > 1) {
                if (!words[1].equals("except") || words.length == 2) {
                    throw error(source, n, "expected 'except NAME...' after " + head + ", found '" + words[1] + "'");
                }
                except = List.of(words).subList(2, words.length);
                for (String name : except) {
                    checkName(source, n, name);
                }
            }
            String owner = head.substring(0, head.length() - 2);
            checkClass(source, n, owner);
            return new AllowlistEntry(n, Kind.WHOLE_CLASS, owner, "", except);
        }
        if (words.length > 1) {
            throw error(source, n, "unexpected '" + words[1] + "': one entry a line");
        }
        int paren = head.indexOf('(');
        int colon = head.indexOf(':');
        if (paren >= 0) {
            String[] om = split(source, n, head, paren);
            return new AllowlistEntry(n, Kind.METHOD, om[0], om[1], List.of());
        }
        if (colon >= 0) {
            String[] om = split(source, n, head, colon);
            return new AllowlistEntry(n, Kind.FIELD, om[0], om[1], List.of());
        }
        checkClass(source, n, head);
        return new AllowlistEntry(n, Kind.CLASS, head, "", List.of());
    }

    /** {@code OWNER} and {@code NAME<rest>} of {@code OWNER.NAME<rest>}, where {@code rest} starts at {@code at}. */
    private static String[] split(String source, int n, String text, int at) {
        int dot = text.lastIndexOf('.', at);
        if (dot <= 0) {
            throw error(source, n, "expected OWNER.NAME in " + text);
        }
        String owner = text.substring(0, dot);
        String name = text.substring(dot + 1, at);
        checkClass(source, n, owner);
        if (!name.equals("<init>")) {
            checkName(source, n, name);
        }
        String descriptor = text.substring(at + (text.charAt(at) == ':' ? 1 : 0));
        if (descriptor.isEmpty() || descriptor.indexOf('.') >= 0) {
            throw error(source, n, "bad descriptor '" + descriptor + "' (JVM form: (Ljava/lang/String;)V, I)");
        }
        return new String[] {owner, name + (text.charAt(at) == ':' ? ":" : "") + descriptor};
    }

    private static void checkClass(String source, int n, String name) {
        if (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..") || name.indexOf('/') >= 0) {
            throw error(source, n, "bad class name '" + name + "' (a binary name: java.util.Map$Entry)");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c != '.' && !Character.isJavaIdentifierPart(c)) {
                throw error(source, n, "bad character '" + c + "' in class name " + name);
            }
        }
    }

    private static void checkName(String source, int n, String name) {
        if (name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))
                || !name.chars().allMatch(Character::isJavaIdentifierPart)) {
            throw error(source, n, "bad member name '" + name + "'");
        }
    }

    static IllegalArgumentException error(String source, int n, String message) {
        return new IllegalArgumentException(source + " line " + n + ": " + message);
    }
}
