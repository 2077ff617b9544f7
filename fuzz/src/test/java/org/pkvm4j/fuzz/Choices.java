package org.pkvm4j.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The fuzzer's bytes read as a sequence of choices, for the structure-aware targets. Unlike Jazzer's
 * {@code FuzzedDataProvider} (native code), its reading is plain Java and documented here, so a
 * committed input means the same mutations in every Jazzer version. Past the end every choice is 0.
 */
final class Choices {
    private final byte[] data;
    private int at;

    Choices(byte[] data) {
        this.data = data;
    }

    /** Whether any bytes are left. */
    boolean hasMore() {
        return at < data.length;
    }

    /** One byte. */
    byte nextByte() {
        return at < data.length ? data[at++] : 0;
    }

    /** A number in {@code [0, bound)}, from one byte, or two when the bound needs them. */
    int pick(int bound) {
        if (bound <= 1) {
            return 0;
        }
        int v = Byte.toUnsignedInt(nextByte());
        if (bound > 256) {
            v = v << 8 | Byte.toUnsignedInt(nextByte());
        }
        return v % bound;
    }

    /** A yes or no. */
    boolean bool() {
        return (nextByte() & 1) != 0;
    }

    /** Up to {@code max} bytes. */
    byte[] bytes(int max) {
        int n = Math.min(pick(max + 1), data.length - at);
        byte[] out = Arrays.copyOfRange(data, at, at + n);
        at += n;
        return out;
    }

    /** Up to {@code max} bytes, as UTF-8 (malformed sequences replaced). */
    String string(int max) {
        return new String(bytes(max), StandardCharsets.UTF_8);
    }
}
