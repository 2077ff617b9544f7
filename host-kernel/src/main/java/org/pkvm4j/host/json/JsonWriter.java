package org.pkvm4j.host.json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Writes one JSON document (RFC 8259) to an {@link Appendable}, streaming: the trace of a long boot
 * is written as it happens, never held as a tree.
 *
 * <p>Calls nest as the document does: {@code beginObject().name("a").value(1).endObject()}. A call
 * in the wrong place (a value where a name is due, an unbalanced end) is a programming error and
 * throws {@link IllegalStateException} at once, so a malformed document is never written. Strings
 * are escaped as the RFC requires; doubles that JSON cannot carry ({@code NaN}, infinities) are
 * refused.
 */
public final class JsonWriter {
    private enum Scope { ARRAY, OBJECT_NAME, OBJECT_VALUE }

    private final Appendable out;
    private final Deque<Scope> scopes = new ArrayDeque<>();
    private final Deque<Boolean> empty = new ArrayDeque<>();
    private boolean done;

    /** A writer of one document to {@code out}; {@link IOException}s surface as {@link UncheckedIOException}. */
    public JsonWriter(Appendable out) {
        this.out = out;
    }

    /** Opens an object ({@code {}). */
    public JsonWriter beginObject() {
        beforeValue();
        write('{');
        open(Scope.OBJECT_NAME);
        return this;
    }

    /** Closes the innermost object. */
    public JsonWriter endObject() {
        close(Scope.OBJECT_NAME, '}');
        return this;
    }

    /** Opens an array ({@code [}). */
    public JsonWriter beginArray() {
        beforeValue();
        write('[');
        open(Scope.ARRAY);
        return this;
    }

    /** Closes the innermost array. */
    public JsonWriter endArray() {
        close(Scope.ARRAY, ']');
        return this;
    }

    /** The name of the next member of the innermost object. */
    public JsonWriter name(String name) {
        if (scopes.peek() != Scope.OBJECT_NAME) {
            throw new IllegalStateException("a member name outside an object, or two names in a row: " + name);
        }
        separate();
        string(name);
        write(':');
        scopes.pop();
        scopes.push(Scope.OBJECT_VALUE);
        return this;
    }

    /** A string value, or {@code null}. */
    public JsonWriter value(String s) {
        beforeValue();
        if (s == null) {
            write("null");
        } else {
            string(s);
        }
        return this;
    }

    /** A number. */
    public JsonWriter value(long n) {
        beforeValue();
        write(Long.toString(n));
        return this;
    }

    /** A number; {@code NaN} and the infinities have no JSON form and are refused. */
    public JsonWriter value(double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no number " + d);
        }
        beforeValue();
        write(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d));
        return this;
    }

    /** A boolean. */
    public JsonWriter value(boolean b) {
        beforeValue();
        write(b ? "true" : "false");
        return this;
    }

    /** {@code null}. */
    public JsonWriter nullValue() {
        beforeValue();
        write("null");
        return this;
    }

    /** Shorthand for {@code name(name).value(s)}. */
    public JsonWriter member(String name, String s) {
        return name(name).value(s);
    }

    /** Shorthand for {@code name(name).value(n)}. */
    public JsonWriter member(String name, long n) {
        return name(name).value(n);
    }

    /** Shorthand for {@code name(name).value(b)}. */
    public JsonWriter member(String name, boolean b) {
        return name(name).value(b);
    }

    /**
     * Ends the document: checks that every object and array was closed.
     *
     * @throws IllegalStateException if one is still open, or no value was written
     */
    public void finish() {
        if (!scopes.isEmpty() || !done) {
            throw new IllegalStateException("the JSON document is incomplete: " + scopes.size() + " open");
        }
    }

    private void beforeValue() {
        Scope scope = scopes.peek();
        if (scope == null) {
            if (done) {
                throw new IllegalStateException("a JSON document holds one top-level value");
            }
            done = true;
        } else if (scope == Scope.ARRAY) {
            separate();
        } else if (scope == Scope.OBJECT_VALUE) {
            scopes.pop();
            scopes.push(Scope.OBJECT_NAME);
        } else {
            throw new IllegalStateException("a value in an object needs a name first");
        }
    }

    private void separate() {
        if (empty.pop()) {
            empty.push(false);
        } else {
            empty.push(false);
            write(',');
        }
    }

    private void open(Scope scope) {
        scopes.push(scope);
        empty.push(true);
    }

    private void close(Scope expected, char c) {
        if (scopes.peek() != expected) {
            throw new IllegalStateException("unbalanced JSON: cannot close " + c + " here");
        }
        scopes.pop();
        empty.pop();
        write(c);
    }

    private void string(String s) {
        write('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> write("\\\"");
                case '\\' -> write("\\\\");
                case '\n' -> write("\\n");
                case '\r' -> write("\\r");
                case '\t' -> write("\\t");
                case '\b' -> write("\\b");
                case '\f' -> write("\\f");
                default -> {
                    if (c < 0x20) {
                        write("\\u%04x".formatted((int) c));
                    } else {
                        write(c);
                    }
                }
            }
        }
        write('"');
    }

    private void write(char c) {
        try {
            out.append(c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String s) {
        try {
            out.append(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
