package org.pkvm4j.machine;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

/**
 * The lockup detector: one daemon thread for every machine of the JVM that samples each CPU's
 * published EL2 state and reports vendor code that runs over a budget or past a lockup bound.
 *
 * <p>Kernel counterpart: the hard-lockup detector (a per-CPU perf/NMI timer that finds a CPU whose
 * interrupt count stopped moving), here for code at EL2. The trap reads no clock: each CPU publishes
 * a count of EL2 entries and what runs ({@link Cpu#enterEl2}); the detector reads its own clock when
 * it samples, and sees "the same trap in progress" as an unchanged count on a busy CPU. A trap
 * shorter than one sampling period can go unseen; the bound and the budget are measured from the
 * first sample that saw the trap, so a report means at least that long.
 *
 * <p>One thread, not one per machine: tests create thousands of machines. It holds each machine's
 * {@link Watch} weakly (a machine that nobody holds is collected with its watch), starts with the
 * first watch and ends when no watch is left, so an idle JVM has no detector thread. This is the
 * machine module's one piece of static state; it reaches no capability: a watch is known only to its
 * machine and to this thread.
 *
 * <p>It also samples what each trapped thread has allocated ({@code
 * com.sun.management.ThreadMXBean.getThreadAllocatedBytes}, a counter the JVM keeps per thread): a
 * trap that allocated more than the machine's EL2 allocation budget since the first sample that saw
 * it is reported. That covers what vendor code allocates through the JDK (a collection growing, a
 * string repeated); the arrays vendor code allocates itself are charged exactly, before they are
 * allocated, by the code the host inserts into it (see {@link HypPlatform#chargeEl2Allocation}).
 */
final class LockupDetector {
    private static final Object LOCK = new Object();
    // Guarded by LOCK.
    private static final List<WeakReference<Watch>> WATCHES = new ArrayList<>();
    private static Thread thread;
    // The JVM's per-thread allocation counters; null where the JVM has none (then only the exact
    // charges of vendor code's own arrays bound a trap's allocations).
    private static final com.sun.management.ThreadMXBean ALLOCATIONS = allocationCounters();

    private LockupDetector() {
    }

    /** Starts sampling {@code watch}'s CPUs. */
    static void watch(Watch watch) {
        synchronized (LOCK) {
            WATCHES.add(new WeakReference<>(watch));
            if (thread == null) {
                thread = Thread.ofPlatform().daemon().name("pkvm4j-lockup-detector").unstarted(LockupDetector::run);
                thread.start();
            }
            LOCK.notifyAll();
        }
    }

    /** Stops sampling {@code watch}'s CPUs. */
    static void unwatch(Watch watch) {
        synchronized (LOCK) {
            WATCHES.removeIf(r -> r.refersTo(watch) || r.refersTo(null));
            LOCK.notifyAll();
        }
    }

    private static com.sun.management.ThreadMXBean allocationCounters() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported()) {
            threads.setThreadAllocatedMemoryEnabled(true);
            return threads;
        }
        return null;
    }

    /** The bytes {@code t} allocated so far, or -1 if the JVM does not count them (a virtual thread). */
    private static long allocatedBytes(Thread t) {
        return ALLOCATIONS == null || t.isVirtual() ? -1 : ALLOCATIONS.getThreadAllocatedBytes(t.threadId());
    }

    /** The detector thread, or null when no machine is watched (for tests). */
    static Thread thread() {
        synchronized (LOCK) {
            return thread;
        }
    }

    private static void run() {
        List<Watch> due = new ArrayList<>();
        while (true) {
            long now = System.nanoTime();
            long next = now + 200_000_000L;
            synchronized (LOCK) {
                WATCHES.removeIf(r -> r.refersTo(null));
                if (WATCHES.isEmpty()) {
                    thread = null;
                    return;
                }
                // Each machine at its own period: one with a 5 ms budget does not make the others sampled every 2 ms.
                for (WeakReference<Watch> r : WATCHES) {
                    Watch w = r.get();
                    if (w != null) {
                        if (w.nextSample - now <= 0) {
                            due.add(w);
                            w.nextSample = now + w.periodNanos();
                        }
                        next = Math.min(next, w.nextSample);
                    }
                }
            }
            for (Watch w : due) {
                try {
                    w.sample(now);
                } catch (Throwable t) {
                    // One machine's listener must not stop the watch of the others, whatever it throws.
                }
            }
            due.clear(); // hold no machine between samples
            synchronized (LOCK) {
                long waitMillis = Math.max(1, (next - System.nanoTime()) / 1_000_000);
                try {
                    LOCK.wait(waitMillis);
                } catch (InterruptedException e) {
                    // Nobody may stop the watch of every machine: keep sampling.
                }
            }
        }
    }

    /** What the detector knows of one machine: its CPUs, its limits and what it saw last. */
    static final class Watch {
        private final Cpu[] cpus;
        private final long boundNanos;
        private final long budgetNanos;
        private final long allocBytes;
        private final LockupListener listener;
        private final long[] seenSeq;
        private final long[] seenSince;
        private final long[] seenLast;
        private final El2Code[] seenTrap;
        private final boolean[] overBudget;
        private final boolean[] lockedUp;
        private final long[] seenAllocated;
        private final boolean[] overAllocated;
        // When the detector samples this machine next (its clock); guarded by LOCK.
        long nextSample = System.nanoTime();

        Watch(Cpu[] cpus, long boundNanos, long budgetNanos, long allocBytes, LockupListener listener) {
            this.cpus = cpus;
            this.boundNanos = boundNanos;
            this.budgetNanos = budgetNanos;
            this.allocBytes = allocBytes;
            this.listener = listener;
            this.seenSeq = new long[cpus.length];
            this.seenSince = new long[cpus.length];
            this.seenLast = new long[cpus.length];
            this.seenTrap = new El2Code[cpus.length];
            this.overBudget = new boolean[cpus.length];
            this.lockedUp = new boolean[cpus.length];
            this.seenAllocated = new long[cpus.length];
            this.overAllocated = new boolean[cpus.length];
        }

        /** A fifth of the shorter limit, between 2 ms and 200 ms. */
        long periodNanos() {
            long shorter = Math.min(boundNanos, budgetNanos);
            return Math.clamp(shorter / 5, 2_000_000L, 200_000_000L);
        }

        void sample(long now) {
            for (int i = 0; i < cpus.length; i++) {
                sample(i, now);
            }
        }

        private void sample(int i, long now) {
            Cpu cpu = cpus[i];
            Thread t = cpu.el2ThreadSample();
            long seq = cpu.el2SeqSample();
            boolean same = t != null && seenTrap[i] != null && seenSeq[i] == seq;
            if (!same) {
                finished(i);
                if (t != null) {
                    seenSeq[i] = seq;
                    seenSince[i] = now;
                    seenLast[i] = now;
                    seenTrap[i] = cpu.el2TrapSample();
                    seenAllocated[i] = allocBytes > 0 ? allocatedBytes(t) : -1;
                }
                return;
            }
            seenLast[i] = now;
            if (seenAllocated[i] >= 0 && !overAllocated[i]) {
                long allocated = allocatedBytes(t) - seenAllocated[i];
                if (allocated > allocBytes) {
                    overAllocated[i] = true;
                    El2Code running = cpu.el2CodeSample();
                    listener.overAllocation(cpu, seenTrap[i], running == null ? seenTrap[i] : running, allocated);
                }
            }
            long ran = now - seenSince[i];
            if (ran >= budgetNanos) {
                overBudget[i] = true;
            }
            if (ran >= boundNanos && !lockedUp[i]) {
                lockedUp[i] = true;
                El2Code running = cpu.el2CodeSample();
                StackTraceElement[] stack = t.getStackTrace();
                listener.lockup(cpu, seenTrap[i], running == null ? seenTrap[i] : running, ran, stack);
            }
        }

        /** The trap seen last on CPU {@code i} is over: report it if it ran over budget and returned. */
        private void finished(int i) {
            if (seenTrap[i] != null && overBudget[i] && !lockedUp[i]) {
                // At least from the first to the last sample that saw it running.
                listener.overBudget(cpus[i], seenTrap[i], seenLast[i] - seenSince[i]);
            }
            seenTrap[i] = null;
            overBudget[i] = false;
            lockedUp[i] = false;
            overAllocated[i] = false;
        }
    }
}
