package acme.page_guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.testkit.PkvmAssertions.assertErrno;
import static org.pkvm4j.testkit.PkvmAssertions.assertStage2Fault;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;
import org.pkvm4j.testkit.PkvmBoot;

/**
 * page_guard, loaded from the file this build produced: EL2 write-protects host pages, the host's
 * writes fault into the module's permission-fault handler, which records them and refuses them (the
 * abort reaches the host) or, in log-only mode, ignores them. Reached as userspace does, through
 * {@code /dev/page_guard}.
 */
@PkvmBoot(modules = "${pkvm4j.module.file}")
class PageGuardIT {
    /** DRAM pages nothing else uses: 16 MiB into DRAM. */
    private static final long PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final long PAGE = 1L << Dram.PAGE_SHIFT;
    private static final long PA = PFN << Dram.PAGE_SHIFT;
    /** The first pfn past the 48-bit physical address space. */
    private static final long PFN_LIMIT = 1L << (Dram.PA_BITS - Dram.PAGE_SHIFT);
    /** The size of EL2's guard table (PageGuardHyp.MAX_GUARDS). */
    private static final int MAX_GUARDS = 32;

    /** Scenario: the EL2 init prints on the hyp console and three handlers are registered. */
    @Test
    void loadsWithThreeHandlers(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("page_guard", 3).deprivileged();
        assertThat(log).containsEl2LineMatching("^page_guard: EL2 ready, 32 guards$").hasNoErrorLines();
    }

    /**
     * Scenario: the host guards two of its pages. Loads still work; each store traps to EL2, where
     * the handler records it (count and address, read back through an ioctl, and a line on the hyp
     * console) and refuses it: the host takes the abort, a Stage2Fault naming owner HOST, and the
     * page keeps its contents. Unguarding returns the count and makes the pages writable again.
     */
    @Test
    void aGuardedPageRefusesHostWritesAndTheHandlerRecordsThem(HostKernel kernel, HostMemory host, KernelLog log) {
        host.store64(PA, 0x1111);
        host.store64(PA + PAGE + 16, 0x2222);

        guard(kernel, PFN, 2, false);
        assertEquals(0x1111, host.load64(PA), "loads still work");
        assertEquals(0, violations(kernel, PFN));
        assertEquals(0, lastFault(kernel, PFN));

        Stage2Fault first = assertStage2Fault(OwnerId.HOST, () -> host.store64(PA, 1)); // the host's page, without write permission
        assertEquals(PA, first.pa());
        assertTrue(first.write());
        assertEquals(1, violations(kernel, PFN));
        assertEquals(PA, lastFault(kernel, PFN));

        Stage2Fault second = assertStage2Fault(OwnerId.HOST, () -> host.store8(PA + PAGE + 17, (byte) 9));
        assertEquals(PA + PAGE + 17, second.pa());
        assertEquals(2, violations(kernel, PFN + 1), "one guard: either page reports it");
        assertEquals(PA + PAGE + 17, lastFault(kernel, PFN));
        assertEquals(0x1111, host.load64(PA), "refused writes were not performed");
        assertEquals(0x2222, host.load64(PA + PAGE + 16));
        assertEquals(2, violations(kernel, PFN), "loads do not count");
        assertThat(log).containsEl2LineMatching("^page_guard: write to guarded PA 0x" + Long.toHexString(PA + PAGE + 17)
                + " \\(pfn 0x" + Long.toHexString(PFN + 1) + "\\): violation 2, refused$");

        assertEquals(2, kernel.ioctl("page_guard", PageGuard.IOCTL_UNGUARD, PFN));
        host.store64(PA, 3);
        host.store64(PA + PAGE, 4);
        assertEquals(3, host.load64(PA));
        assertEquals(4, host.load64(PA + PAGE));
        assertErrno(Errno.ENOENT, () -> violations(kernel, PFN));
        assertErrno(Errno.ENOENT, () -> kernel.ioctl("page_guard", PageGuard.IOCTL_UNGUARD, PFN));
    }

    /**
     * Scenario: in log-only mode the handler claims each write: the host does not take the abort,
     * the write is emulated as ignored (the page keeps its contents) and every write is counted,
     * also when two host threads write at the same time.
     */
    @Test
    void logOnlyModeCountsWritesAndIgnoresThem(HostKernel kernel, HostMemory host) throws Exception {
        host.store64(PA + 8, 77);

        guard(kernel, PFN, 1, true);
        host.store64(PA + 8, 78);
        assertEquals(77, host.load64(PA + 8), "the write was ignored");
        assertEquals(1, violations(kernel, PFN));
        assertEquals(PA + 8, lastFault(kernel, PFN));

        int perThread = 500;
        CyclicBarrier start = new CyclicBarrier(2);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long at = PA + 64 * (t + 1);
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        host.store64(at, i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertEquals(1 + 2 * perThread, violations(kernel, PFN), "no write lost, no write counted twice");
        assertEquals(0, host.load64(PA + 64));
        assertEquals(1 + 2 * perThread, kernel.ioctl("page_guard", PageGuard.IOCTL_UNGUARD, PFN));
        host.store64(PA + 8, 79);
        assertEquals(79, host.load64(PA + 8));
    }

    /**
     * Scenario: bad ranges come back as the kernel's errno and change nothing: MMIO and the
     * module's own EL2 image (not host memory: EPERM), a range past the PA range or of no pages
     * (EINVAL), a range overlapping a guard (EBUSY), a 33rd guard (ENOMEM), an unknown ioctl
     * (EINVAL). The existing guard still faults and counts; the pages next to it stay writable.
     */
    @Test
    void badRangesReturnTheKernelsErrnoAndChangeNothing(HostKernel kernel, Machine machine, HostMemory host) {
        long imagePa = machine.moduleRam().allocations().keySet().stream().min(Long::compare).orElseThrow();
        host.store64(PA, 0x55);
        guard(kernel, PFN, 2, false);

        assertErrno(Errno.EPERM, () -> guard(kernel, 0, 1, false));
        assertErrno(Errno.EPERM, () -> guard(kernel, imagePa >>> Dram.PAGE_SHIFT, 1, false));
        assertErrno(Errno.EINVAL, () -> guard(kernel, PFN_LIMIT - 1, 2, false));
        assertErrno(Errno.EINVAL, () -> guard(kernel, PFN + 8, 0, false));
        assertErrno(Errno.EBUSY, () -> guard(kernel, PFN + 1, 2, false));
        assertErrno(Errno.ENOENT, () -> kernel.ioctl("page_guard", PageGuard.IOCTL_UNGUARD, PFN + 1));
        assertErrno(Errno.EINVAL, () -> kernel.ioctl("page_guard", 99, 0));

        host.store64(PA + 2 * PAGE, 5); // next to the guard, and the refused EBUSY range: still writable
        assertEquals(5, host.load64(PA + 2 * PAGE));
        assertStage2Fault(OwnerId.HOST, () -> host.store64(PA, 1));
        assertEquals(1, violations(kernel, PFN), "the guard is intact");
        assertEquals(0x55, host.load64(PA), "and the write was not performed");

        for (int i = 1; i < MAX_GUARDS; i++) {
            guard(kernel, PFN + 16 + i, 1, true);
        }
        assertErrno(Errno.ENOMEM, () -> guard(kernel, PFN + 16 + MAX_GUARDS, 1, true));
        host.store64(PA + (16 + MAX_GUARDS) * PAGE, 6); // the refused ENOMEM page: still writable
        assertEquals(6, host.load64(PA + (16 + MAX_GUARDS) * PAGE));
        for (int i = 1; i < MAX_GUARDS; i++) {
            assertEquals(0, kernel.ioctl("page_guard", PageGuard.IOCTL_UNGUARD, PFN + 16 + i));
        }
        assertEquals(1, kernel.ioctl("page_guard", PageGuard.IOCTL_UNGUARD, PFN));
        guard(kernel, PFN + 16 + MAX_GUARDS, 1, true); // the freed slots are usable again
    }

    /** Scenario: the module's own self-check (the boot demo runs it) passes on a live device. */
    @Test
    void selftestPasses(HostKernel kernel) {
        assertEquals(6, kernel.ioctl("page_guard", MiscDevice.IOCTL_SELFTEST, 0));
    }

    private static void guard(HostKernel kernel, long pfn, long nrPages, boolean logOnly) {
        assertEquals(0, kernel.ioctl("page_guard", PageGuard.IOCTL_GUARD, PageGuard.guardArg(pfn, nrPages, logOnly)));
    }

    private static long violations(HostKernel kernel, long pfn) {
        return kernel.ioctl("page_guard", PageGuard.IOCTL_VIOLATIONS, pfn);
    }

    private static long lastFault(HostKernel kernel, long pfn) {
        return kernel.ioctl("page_guard", PageGuard.IOCTL_LAST_FAULT, pfn);
    }
}
