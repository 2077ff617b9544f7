package org.pkvm4j.machine;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The lockup detector samples what each CPU publishes (no clock on the trap): code still running
 * past the bound is reported once with its stack; code over the budget that returns is reported
 * when it has returned; nested entries are one trap; the thread ends when no machine is watched.
 */
class LockupDetectorTest {
    private static final long MS = 1_000_000L;

    private record Report(String kind, int cpu, El2Code trap, El2Code running, long nanos, StackTraceElement[] stack) {
    }

    private final List<Report> reports = new CopyOnWriteArrayList<>();
    private final LockupListener listener = new LockupListener() {
        @Override
        public void overBudget(Cpu cpu, El2Code trap, long nanos) {
            reports.add(new Report("budget", cpu.id(), trap, trap, nanos, null));
        }

        @Override
        public void lockup(Cpu cpu, El2Code trap, El2Code running, long nanos, StackTraceElement[] stack) {
            reports.add(new Report("lockup", cpu.id(), trap, running, nanos, stack));
        }

        @Override
        public void overAllocation(Cpu cpu, El2Code trap, El2Code running, long bytes) {
            reports.add(new Report("alloc", cpu.id(), trap, running, bytes, null));
        }
    };

    private final Object owner = new Object();
    private final El2Code handler = new El2Code(owner, "mod", "mod_hvc");
    private final El2Code driver = new El2Code(owner, "console", "serial_driver");

    /** Runs {@code code} (and {@code inner} inside it, if not null) on {@code cpu} until {@code release}. */
    private static Thread stuck(HypPlatform p, Cpu cpu, El2Code code, El2Code inner, CountDownLatch release) {
        return Thread.ofPlatform().name("stuck-trap").start(() -> {
            El2Code outer = p.enterEl2(cpu, code);
            El2Code mid = inner == null ? null : p.enterEl2(cpu, inner);
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (inner != null) {
                    p.exitEl2(cpu, mid);
                }
                p.exitEl2(cpu, outer);
            }
        });
    }

    /** Scenario: a trap that runs past the bound is reported once, with the innermost code and the stack. */
    @Test
    void aTrapPastTheBoundIsALockupReportedOnce() throws InterruptedException {
        Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));
        HypPlatform p = machine.takeHypPlatform();
        p.armLockupDetector(100 * MS, 50 * MS, 0, listener);
        CountDownLatch release = new CountDownLatch(1);
        Cpu cpu1 = machine.cpus().get(1);
        Thread t = stuck(p, cpu1, handler, driver, release);
        await().atMost(Duration.ofSeconds(10)).until(() -> reports.stream().anyMatch(r -> r.kind().equals("lockup")));
        release.countDown();
        t.join();
        Report r = reports.stream().filter(x -> x.kind().equals("lockup")).findFirst().orElseThrow();
        assertEquals(1, r.cpu());
        assertSame(handler, r.trap());
        assertSame(driver, r.running());
        assertTrue(r.nanos() >= 100 * MS, "at least the bound: " + r.nanos());
        assertTrue(List.of(r.stack()).stream().anyMatch(e -> e.getMethodName().equals("await")), List.of(r.stack()).toString());
        // Reported once, and a trap that locked up is not also reported as over budget when it ends.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> reports.stream().filter(x -> x.kind().equals("lockup")).count() == 1
                        && reports.stream().noneMatch(x -> x.kind().equals("budget")));
        machine.stopLockupDetector();
    }

    /** Scenario: a trap over the budget that returns is reported as such after it returned, not as a lockup. */
    @Test
    void aTrapOverBudgetIsReportedWhenItReturns() throws InterruptedException {
        Machine machine = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
        HypPlatform p = machine.takeHypPlatform();
        p.armLockupDetector(60_000 * MS, 20 * MS, 0, listener);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = stuck(p, machine.cpus().getFirst(), handler, null, release);
        // Held well past the budget (several sampling periods), far below the bound: nothing reported meanwhile.
        await().during(Duration.ofMillis(150)).atMost(Duration.ofSeconds(5)).until(reports::isEmpty);
        release.countDown();
        t.join();
        await().atMost(Duration.ofSeconds(10)).until(() -> !reports.isEmpty());
        Report r = reports.getFirst();
        assertEquals("budget", r.kind());
        assertSame(handler, r.trap());
        assertTrue(r.nanos() >= 20 * MS, "at least the budget: " + r.nanos());
        machine.stopLockupDetector();
    }

    /** Scenario: the published state: who runs what, restored on exit; only the outermost entry is a new trap. */
    @Test
    void enterAndExitPublishWhatRuns() {
        Machine machine = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
        HypPlatform p = machine.takeHypPlatform();
        Cpu cpu = machine.cpus().getFirst();
        assertNull(p.el2Cpu());
        assertFalse(p.runsEl2Of(owner));
        long seq = cpu.el2SeqSample();
        El2Code outer = p.enterEl2(cpu, handler);
        assertNull(outer);
        assertSame(cpu, p.el2Cpu());
        assertTrue(p.runsEl2Of(owner));
        assertFalse(p.runsEl2Of(new Object()));
        El2Code mid = p.enterEl2(cpu, driver);
        assertSame(handler, mid);
        assertSame(driver, cpu.el2CodeSample());
        assertSame(handler, cpu.el2TrapSample());
        assertEquals(seq + 1, cpu.el2SeqSample(), "a nested entry is the same trap");
        p.exitEl2(cpu, mid);
        assertSame(handler, cpu.el2CodeSample());
        p.exitEl2(cpu, outer);
        assertNull(cpu.el2ThreadSample());
        assertNull(p.el2Cpu());
    }

    /**
     * Scenario: a trap whose thread allocates past the allocation budget is reported once, naming
     * what runs; the allocation before the first sample is not counted.
     */
    @Test
    void aTrapAllocatingPastTheBudgetIsReportedOnce() throws InterruptedException {
        Machine machine = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
        HypPlatform p = machine.takeHypPlatform();
        p.armLockupDetector(60_000 * MS, 10 * MS, 8L << 20, listener);
        Cpu cpu = machine.cpus().getFirst();
        byte[][] ring = new byte[16][];
        long deadline = System.nanoTime() + 30_000 * MS;
        Thread t = Thread.ofPlatform().name("allocating-trap").start(() -> {
            El2Code outer = p.enterEl2(cpu, handler);
            try {
                // 1 MiB at a time (the thread's counter counts allocations, not what is kept) until
                // the detector has seen more than 8 MiB.
                for (int i = 0; reports.isEmpty() && System.nanoTime() < deadline; i++) {
                    ring[i & 15] = new byte[1 << 20];
                }
            } finally {
                p.exitEl2(cpu, outer);
            }
        });
        t.join();
        Report r = reports.stream().filter(x -> x.kind().equals("alloc")).findFirst().orElseThrow();
        assertSame(handler, r.trap());
        assertTrue(r.nanos() > 8L << 20, "more than the budget: " + r.nanos());
        assertEquals(1, reports.stream().filter(x -> x.kind().equals("alloc")).count());
        machine.stopLockupDetector();
    }

    /**
     * Scenario: the exact charge of vendor arrays counts per trap (a new trap starts from 0) and only
     * for the owner's code on the calling thread; off any trap it answers -1.
     */
    @Test
    void chargesCountPerTrapAndOnlyOnTheTrapsThread() throws InterruptedException {
        Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));
        HypPlatform p = machine.takeHypPlatform();
        Cpu cpu = machine.cpus().get(1);
        assertEquals(-1, p.chargeEl2Allocation(owner, 100));
        El2Code outer = p.enterEl2(cpu, handler);
        assertEquals(100, p.chargeEl2Allocation(owner, 100));
        assertEquals(300, p.chargeEl2Allocation(owner, 200));
        assertEquals(-1, p.chargeEl2Allocation(new Object(), 1), "another owner's charge");
        assertEquals(Long.MAX_VALUE, p.chargeEl2Allocation(owner, Long.MAX_VALUE), "saturates");
        long[] elsewhere = new long[1];
        Thread other = Thread.ofPlatform().start(() -> elsewhere[0] = p.chargeEl2Allocation(owner, 1));
        other.join();
        assertEquals(-1, elsewhere[0], "another thread is not in the trap");
        p.exitEl2(cpu, outer);
        assertEquals(-1, p.chargeEl2Allocation(owner, 1));
        outer = p.enterEl2(cpu, handler);
        assertEquals(7, p.chargeEl2Allocation(owner, 7), "a new trap starts from 0");
        p.exitEl2(cpu, outer);
    }

    /** Scenario: arming twice is refused; bad limits are refused. */
    @Test
    void armOnceWithPositiveLimits() {
        Machine machine = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
        HypPlatform p = machine.takeHypPlatform();
        assertThrows(IllegalArgumentException.class, () -> p.armLockupDetector(0, 1, 0, listener));
        assertThrows(IllegalArgumentException.class, () -> p.armLockupDetector(MS, MS, -1, listener));
        p.armLockupDetector(MS, MS, 0, listener);
        assertThrows(IllegalStateException.class, () -> p.armLockupDetector(MS, MS, 0, listener));
        machine.stopLockupDetector();
    }

    /** Scenario: the detector's one thread ends once no machine is watched, and starts again for the next. */
    @Test
    void theThreadEndsWhenNoMachineIsWatched() {
        Machine machine = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
        machine.takeHypPlatform().armLockupDetector(1000 * MS, 100 * MS, 0, listener);
        Thread t = LockupDetector.thread();
        assertTrue(t != null && t.isDaemon());
        machine.stopLockupDetector();
        await().atMost(Duration.ofSeconds(10)).until(() -> !t.isAlive());
        Machine next = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
        next.takeHypPlatform().armLockupDetector(1000 * MS, 100 * MS, 0, listener);
        assertTrue(LockupDetector.thread().isAlive());
        next.stopLockupDetector();
    }
}
