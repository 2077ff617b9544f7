package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class HypSpinLockTest {
    private long counter;

    @Test
    void excludesOtherThreads() throws Exception {
        HypSpinLock lock = new HypSpinLock();
        int perThread = 200_000;
        Runnable increments = () -> {
            for (int i = 0; i < perThread; i++) {
                lock.lock();
                try {
                    counter++; // a plain read-modify-write: lost updates unless the lock excludes
                } finally {
                    lock.unlock();
                }
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?>[] runs = new Future<?>[4];
            for (int t = 0; t < runs.length; t++) {
                runs[t] = pool.submit(increments);
            }
            for (Future<?> run : runs) {
                run.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(4L * perThread, counter);
    }

    @Test
    void takingItTwiceIsABug() {
        HypSpinLock lock = new HypSpinLock();
        lock.lock();
        IllegalStateException e = assertThrows(IllegalStateException.class, lock::lock);
        assertEquals(true, e.getMessage().startsWith("BUG: hyp spinlock taken twice"), e.getMessage());
        lock.unlock();
        lock.lock(); // still usable
        lock.unlock();
    }

    @Test
    void onlyTheHolderReleases() throws Exception {
        HypSpinLock lock = new HypSpinLock();
        assertThrows(IllegalStateException.class, lock::unlock, "not held at all");
        lock.lock();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<Throwable> attempt = other.submit(() -> {
                try {
                    lock.unlock();
                    return null;
                } catch (IllegalStateException expected) {
                    return expected;
                }
            });
            assertEquals(IllegalStateException.class, attempt.get().getClass());
        } finally {
            other.shutdownNow();
        }
        lock.unlock();
    }

    @Test
    void tryLockTakesOnlyAFreeLock() throws Exception {
        HypSpinLock lock = new HypSpinLock();
        assertEquals(false, lock.isLocked());
        assertEquals(true, lock.tryLock());
        assertEquals(true, lock.isLocked());
        assertThrows(IllegalStateException.class, lock::tryLock, "taking it twice is a bug for the try variant too");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            assertEquals(false, other.submit(lock::tryLock).get(), "held by this thread");
            lock.unlock();
            assertEquals(true, other.submit(lock::tryLock).get(), "free again");
            assertEquals(true, lock.isLocked());
            other.submit(lock::unlock).get();
        } finally {
            other.shutdownNow();
        }
        assertEquals(false, lock.isLocked());
    }
}
