package org.pkvm4j.host.loader;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the loader learns from a module file's bytes that no boot can change: its descriptors, its
 * approved classes (names and digests), its EL2 symbol table and sections, and the verdicts of the
 * ABI check and of the EL2 code verifier ({@link ModuleChecks}). The parsed
 * {@code ModuleFile} itself is not kept: it carries its path and the signature of the initramfs it
 * came from, and parsing is about 3% of a boot (ADR 0007). Kept per JVM, keyed by the file's SHA-256 (so a changed file is a new entry, never a
 * stale one), as {@link org.pkvm4j.host.abi.RunningApi} keeps the running API: {@code pkvm
 * explore} boots the same files hundreds of times.
 *
 * <p>Only successes are kept (a refusal is recomputed, with a fresh exception, each time), and
 * only immutable values: records of lists, descriptors, enums. Nothing here is a layer, a class
 * or EL2 state, so no boot shares state with another through it. Bounded: the least recently used
 * entries go first.
 */
final class LoadCache {
    private static final int MAX_ENTRIES = 1024;
    private static final Map<String, Object> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private LoadCache() {
    }

    /**
     * The value {@code what} of the file with digest {@code sha256}, computed once; an exception
     * of {@code compute} is thrown and nothing is kept.
     */
    @SuppressWarnings("unchecked")
    static <T> T get(String sha256, String what, Supplier<T> compute) {
        String key = sha256 + "|" + what;
        synchronized (CACHE) {
            Object v = CACHE.get(key);
            if (v != null) {
                return (T) v;
            }
        }
        // Computed outside the lock: two boots may compute the same value once each, never wrongly.
        T value = compute.get();
        synchronized (CACHE) {
            CACHE.putIfAbsent(key, value);
        }
        return value;
    }
}
