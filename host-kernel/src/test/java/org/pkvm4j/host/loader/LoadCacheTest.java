package org.pkvm4j.host.loader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/** The per-digest cache the check-ahead and the ordered load share (ADR 0018). */
class LoadCacheTest {

    /** A fresh digest, so that tests never see each other's entries in the JVM-wide cache. */
    private static String digest() {
        return UUID.randomUUID().toString();
    }

    @Test
    void aValueIsComputedOnceAndThenServed() {
        String sha = digest();
        AtomicInteger runs = new AtomicInteger();
        Object first = LoadCache.get(sha, "v", () -> {
            runs.incrementAndGet();
            return new Object();
        });
        Object second = LoadCache.get(sha, "v", () -> {
            runs.incrementAndGet();
            return new Object();
        });
        assertSame(first, second);
        assertEquals(1, runs.get());
        assertNotSame(first, LoadCache.get(digest(), "v", Object::new), "another digest is another entry");
    }

    /** Scenario: the ordered load asks for what the check-ahead is computing: it waits, nothing runs twice. */
    @Test
    void aCallerWaitsForTheValueBeingComputedInsteadOfComputingItAgain() throws Exception {
        String sha = digest();
        CountDownLatch computing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        CompletableFuture<Object> ahead = CompletableFuture.supplyAsync(() -> LoadCache.get(sha, "v", () -> {
            runs.incrementAndGet();
            computing.countDown();
            awaitLatch(release);
            return "verdict";
        }));
        assertTrue(computing.await(30, TimeUnit.SECONDS));
        CompletableFuture<Object> load = CompletableFuture.supplyAsync(() -> LoadCache.get(sha, "v", () -> {
            runs.incrementAndGet();
            return "recomputed";
        }));
        release.countDown();
        assertEquals("verdict", ahead.get(30, TimeUnit.SECONDS));
        assertEquals("verdict", load.get(30, TimeUnit.SECONDS));
        assertEquals(1, runs.get());
    }

    /**
     * Scenario: the check-ahead's computation is refused while the load waits for it: the load
     * computes again and throws its own refusal; nothing is kept.
     */
    @Test
    void aRefusalIsNeverKeptAndAWaiterGetsItsOwnFreshRefusal() throws Exception {
        String sha = digest();
        CountDownLatch computing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Refusal aheadRefusal = new Refusal(ErrorCode.LOAD_BAD_CLASS, Errno.ENOEXEC, "ahead");
        CompletableFuture<Object> ahead = CompletableFuture.supplyAsync(() -> LoadCache.get(sha, "v", () -> {
            computing.countDown();
            awaitLatch(release);
            throw aheadRefusal;
        }));
        assertTrue(computing.await(30, TimeUnit.SECONDS));
        AtomicInteger loadRuns = new AtomicInteger();
        CompletableFuture<Object> load = new CompletableFuture<>();
        Thread loader = new Thread(() -> {
            try {
                load.complete(LoadCache.get(sha, "v", () -> {
                    loadRuns.incrementAndGet();
                    throw new Refusal(ErrorCode.LOAD_BAD_CLASS, Errno.ENOEXEC, "load");
                }));
            } catch (RuntimeException e) {
                load.completeExceptionally(e);
            }
        }, "ordered-load");
        loader.start();
        // The load waits for the check-ahead's computation, then the computation fails.
        await().atMost(Duration.ofSeconds(30)).until(() -> loader.getState() == Thread.State.WAITING);
        assertEquals(0, loadRuns.get());
        release.countDown();
        Exception a = assertThrows(Exception.class, () -> ahead.get(30, TimeUnit.SECONDS));
        assertSame(aheadRefusal, a.getCause());
        Exception l = assertThrows(Exception.class, () -> load.get(30, TimeUnit.SECONDS));
        assertEquals("ENOEXEC: load", l.getCause().getMessage(), "the waiter's refusal is its own");
        assertEquals(1, loadRuns.get());
        assertEquals("kept", LoadCache.get(sha, "v", () -> "kept"), "nothing was kept for the refused value");
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
