package org.pkvm4j.host.loader;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that check module files ahead of the ordered load ({@link ModuleLoader#checkAhead}):
 * one per core, daemons, started once per JVM and kept.
 *
 * <p>Kernel counterpart: none (the kernel checks each module as it loads it). One pool for the JVM
 * rather than one per boot: a JVM that boots many devices (tests, {@code pkvm explore}) would
 * otherwise start and end threads at every boot, and a test that watches for threads started while
 * a module loads (the hostile corpus) could not tell them from a module's. The pool holds no device
 * state: each task carries its own loader's files.
 */
final class CheckAheadPool {
    private static final ExecutorService POOL = start();

    private CheckAheadPool() {
    }

    /** The pool, its threads running. */
    static ExecutorService get() {
        return POOL;
    }

    private static ExecutorService start() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "pkvm-check-ahead");
                    t.setDaemon(true);
                    return t;
                });
        pool.prestartAllCoreThreads();
        return pool;
    }
}
