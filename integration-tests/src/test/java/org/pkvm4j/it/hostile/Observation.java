package org.pkvm4j.it.hostile;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Optional;
import java.util.Properties;

/**
 * What one run of a case saw, as text: the boot's outcome, each call's result, the panic, what the
 * kernel log and the hyp console said, and what leaked. Text so that a run in a JVM of its own
 * reports the same thing as one in the test's JVM.
 */
final class Observation {
    private final Properties values = new Properties();

    void put(String key, Object value) {
        values.setProperty(key, String.valueOf(value));
    }

    Optional<String> get(String key) {
        return Optional.ofNullable(values.getProperty(key));
    }

    String getOr(String key, String otherwise) {
        return values.getProperty(key, otherwise);
    }

    void store(Writer out) {
        try {
            values.store(out, "hostile-module corpus observation");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Observation load(Reader in) {
        Observation o = new Observation();
        try {
            o.values.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return o;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        values.stringPropertyNames().stream().sorted().filter(k -> !k.equals("log"))
                .forEach(k -> b.append("  ").append(k).append(" = ").append(values.getProperty(k)).append('\n'));
        String log = values.getProperty("log", "");
        String[] lines = log.split("\n");
        b.append("  kernel log (last lines):\n");
        for (int i = Math.max(0, lines.length - 25); i < lines.length; i++) {
            b.append("    ").append(lines[i]).append('\n');
        }
        return b.toString();
    }
}
