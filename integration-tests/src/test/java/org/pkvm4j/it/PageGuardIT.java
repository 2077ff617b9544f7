package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;

/**
 * The bundled page_guard module from its real module file: EL2 write-protects host pages, the
 * host's writes fault into the module's permission-fault handler, which records them and refuses
 * them (the abort reaches the host) or, in log-only mode, ignores them.
 */
class PageGuardIT {
    /** DRAM pages nothing else uses: 16 MiB into DRAM. */
    private static final long PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final long PAGE = 1L << Dram.PAGE_SHIFT;
    private static final long PA = PFN << Dram.PAGE_SHIFT;
    /** The first pfn past the 48-bit physical address space. */
    private static final long PFN_LIMIT = 1L << (Dram.PA_BITS - Dram.PAGE_SHIFT);

    private static HostKernel boot(String... fixtures) {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, PageGuardDevice.NAME);
        StringBuilder modules = new StringBuilder(PageGuardDevice.NAME);
        for (String fixture : fixtures) {
            modules.append(',').append(Devices.addFixture(initramfs, fixture));
        }
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + modules + " mem=64M", initramfs);
        assertTrue(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().toString());
        return kernel;
    }

    /**
     * Scenario: the host guards two of its pages. Loads still work; each store traps to EL2, where
     * the handler records it (count and address, read back through an HVC, and a line on the hyp
     * console) and refuses it: the host takes the abort, a Stage2Fault naming owner HOST, and the
     * page keeps its contents. Unguarding returns the count and makes the pages writable again.
     */
    @Test
    void aGuardedPageRefusesHostWritesAndTheHandlerRecordsThem() {
        HostKernel kernel = boot();
        PageGuardDevice dev = new PageGuardDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        host.store64(PA, 0x1111);
        host.store64(PA + PAGE + 16, 0x2222);

        dev.guard(PFN, 2, false);
        assertEquals(0x1111, host.load64(PA), "loads still work");
        assertEquals(0, dev.violations(PFN));
        assertEquals(0, dev.lastFault(PFN));

        Stage2Fault first = assertThrows(Stage2Fault.class, () -> host.store64(PA, 1));
        assertEquals(OwnerId.HOST, first.owner(), "the page is still the host's; only its write permission is gone");
        assertEquals(PA, first.pa());
        assertTrue(first.write());
        assertEquals(1, dev.violations(PFN));
        assertEquals(PA, dev.lastFault(PFN));

        Stage2Fault second = assertThrows(Stage2Fault.class, () -> host.store8(PA + PAGE + 17, (byte) 9));
        assertEquals(PA + PAGE + 17, second.pa());
        assertEquals(2, dev.violations(PFN + 1), "one guard: either page reports it");
        assertEquals(PA + PAGE + 17, dev.lastFault(PFN));
        assertEquals(0x1111, host.load64(PA), "refused writes were not performed");
        assertEquals(0x2222, host.load64(PA + PAGE + 16));
        assertEquals(2, dev.violations(PFN), "loads do not count");
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains(
                "page_guard: write to guarded PA 0x" + Long.toHexString(PA + PAGE + 17) + " (pfn 0x" + Long.toHexString(PFN + 1)
                        + "): violation 2, refused")), "the handler logged on the hyp console");

        assertEquals(2, dev.unguard(PFN));
        host.store64(PA, 3);
        host.store64(PA + PAGE, 4);
        assertEquals(3, host.load64(PA));
        assertEquals(4, host.load64(PA + PAGE));
        assertErrno(Errno.ENOENT, () -> dev.violations(PFN));
        assertErrno(Errno.ENOENT, () -> dev.unguard(PFN));
    }

    /**
     * Scenario: in log-only mode the handler claims each write: the host does not take the abort,
     * the write is emulated as ignored (the page keeps its contents) and every write is counted,
     * also when two host threads write at the same time.
     */
    @Test
    void logOnlyModeCountsWritesAndIgnoresThem() throws Exception {
        HostKernel kernel = boot();
        PageGuardDevice dev = new PageGuardDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        host.store64(PA + 8, 77);

        dev.guard(PFN, 1, true);
        host.store64(PA + 8, 78);
        assertEquals(77, host.load64(PA + 8), "the write was ignored");
        assertEquals(1, dev.violations(PFN));
        assertEquals(PA + 8, dev.lastFault(PFN));

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
        assertEquals(1 + 2 * perThread, dev.violations(PFN), "no write lost, no write counted twice");
        assertEquals(0, host.load64(PA + 64));
        assertEquals(1 + 2 * perThread, dev.unguard(PFN));
        host.store64(PA + 8, 79);
        assertEquals(79, host.load64(PA + 8));
    }

    /**
     * Scenario: bad ranges come back as the kernel's errno and change nothing: MMIO and the
     * module's own EL2 image (not host memory: EPERM), a range past the PA range or of no pages
     * (EINVAL), a range overlapping a guard (EBUSY), a range holding a page another module
     * restricted; the existing guard still faults and counts, the pages next to it stay writable.
     * (mem_owner's handler, registered after page_guard's, claims every fault page_guard refuses.)
     */
    @Test
    void badRangesReturnTheKernelsErrnoAndChangeNothing() {
        HostKernel kernel = boot("mem-owner");
        PageGuardDevice dev = new PageGuardDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        long imagePa = kernel.machine().moduleRam().allocations().keySet().stream().min(Long::compare).orElseThrow();
        host.store64(PA, 0x55);
        dev.guard(PFN, 2, false);

        assertErrno(Errno.EPERM, () -> dev.guard(0, 1, false));
        assertErrno(Errno.EPERM, () -> dev.guard(imagePa >>> Dram.PAGE_SHIFT, 1, false));
        assertErrno(Errno.EINVAL, () -> dev.guard(PFN_LIMIT - 1, 2, false));
        assertErrno(Errno.EINVAL, () -> dev.guard(PFN + 8, 0, false));
        assertErrno(Errno.EBUSY, () -> dev.guard(PFN + 1, 2, false));
        assertErrno(Errno.ENOENT, () -> dev.unguard(PFN + 1));
        assertEquals(0, kernel.ioctl("mem_owner", 4, PFN + 9)); // mem_owner write-protects PFN + 9
        assertErrno(Errno.EPERM, () -> dev.guard(PFN + 8, 2, false)); // pristine PFN + 8, restricted PFN + 9

        host.store64(PA + 2 * PAGE, 5); // next to the guard, and the refused EBUSY range: still writable
        host.store64(PA + 8 * PAGE, 6); // the refused EPERM range: still writable
        assertEquals(5, host.load64(PA + 2 * PAGE));
        assertEquals(6, host.load64(PA + 8 * PAGE));
        host.store64(PA, 1); // refused by page_guard, then claimed by mem_owner's catch-all handler
        assertEquals(1, dev.violations(PFN), "the guard is intact");
        assertEquals(0x55, host.load64(PA), "and the write was not performed");
        assertEquals(1, dev.unguard(PFN));
        assertEquals(0, kernel.ioctl("mem_owner", 5, PFN + 9));
    }

    /**
     * Scenario: page_guard's handler is registered first, mem_owner's (which claims every fault)
     * second. A fault on a page mem_owner protects is not page_guard's: it passes it on, mem_owner
     * claims it, page_guard records nothing. A fault page_guard refuses also goes on down the chain:
     * mem_owner claims it, so the host takes no abort, but page_guard has recorded it and the write
     * is still not performed.
     */
    @Test
    void faultsGoDownTheHandlerChainInRegistrationOrder() {
        HostKernel kernel = boot("mem-owner");
        PageGuardDevice dev = new PageGuardDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        host.store64(PA, 10);
        dev.guard(PFN, 1, false);
        assertEquals(0, kernel.ioctl("mem_owner", 4, PFN + 4));

        host.store64(PA + 4 * PAGE, 1);
        assertEquals(1, kernel.ioctl("mem_owner", 6, 0), "mem_owner claimed its own page's fault");
        assertEquals(0, dev.violations(PFN));
        assertErrno(Errno.ENOENT, () -> dev.violations(PFN + 4));

        host.store64(PA, 11);
        assertEquals(1, dev.violations(PFN), "page_guard saw the fault first");
        assertEquals(2, kernel.ioctl("mem_owner", 6, 0), "then mem_owner claimed what page_guard refused");
        assertEquals(10, host.load64(PA));
        assertEquals(1, dev.unguard(PFN));
        assertEquals(0, kernel.ioctl("mem_owner", 5, PFN + 4));
    }

    /** Scenario: the module's own self-check (the boot demo runs it) passes on a live device. */
    @Test
    void selftestPasses() {
        HostKernel kernel = boot();
        assertEquals(6, kernel.ioctl(PageGuardDevice.NAME, MiscDevice.IOCTL_SELFTEST, 0));
    }

    private static void assertErrno(Errno expected, Executable call) {
        assertEquals(expected, assertThrows(PkvmException.class, call).errno());
    }
}
