package org.pkvm4j.host.loader;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
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
    // Values are FutureTasks: done (a success), or being computed by one thread while others wait.
    private static final Map<String, Object> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private LoadCache() {
    }

    private static final Map<String, Boolean> CHECKED_AHEAD = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    /**
     * Whether a file with this key (path, size, time: {@code ModuleLoader}) was checked ahead
     * without a refusal: a hint for skipping the check-ahead, never a verdict. False for null.
     */
    static boolean checkedAhead(String fileKey) {
        if (fileKey == null) {
            return false;
        }
        synchronized (CHECKED_AHEAD) {
            return CHECKED_AHEAD.containsKey(fileKey);
        }
    }

    /** Records the hint {@link #checkedAhead} reads; a null key is ignored. */
    static void markCheckedAhead(String fileKey) {
        if (fileKey != null) {
            synchronized (CHECKED_AHEAD) {
                CHECKED_AHEAD.put(fileKey, Boolean.TRUE);
            }
        }
    }

    /**
     * The value {@code what} of the file with digest {@code sha256}, computed once; an exception
     * of {@code compute} is thrown and nothing is kept.
     *
     * <p>A value being computed is shared: a boot's ordered load that asks for what its check-ahead
     * ({@link ModuleLoader#checkAhead}) is still computing waits for it instead of computing it a
     * second time. When that computation fails, each waiter computes again on its own thread, so a
     * refusal is always its own fresh exception.
     */
    @SuppressWarnings("unchecked")
    static <T> T get(String sha256, String what, Supplier<T> compute) {
        String key = sha256 + "|" + what;
        FutureTask<Object> task;
        boolean mine = false;
        synchronized (CACHE) {
            Object v = CACHE.get(key);
            if (v == null) {
                task = new FutureTask<>(compute::get);
                CACHE.put(key, task);
                mine = true;
            } else {
                task = (FutureTask<Object>) v;
            }
        }
        if (mine) {
            task.run();
        }
        try {
            return (T) java.util.Objects.requireNonNull(task.get());
        } catch (ExecutionException e) {
            synchronized (CACHE) {
                CACHE.remove(key, task);
            }
            if (!mine) {
                return compute.get();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return compute.get();
        }
    }
}
