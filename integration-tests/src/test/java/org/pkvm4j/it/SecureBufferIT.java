package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;

/**
 * The bundled secure_buffer module from its real module file, checked by other modules: the
 * fixture mem-owner is the independent witness of page states (its donate-then-give-back succeeds
 * only on a page the host owns alone: not donated, not shared, not restricted), page_guard restricts
 * a page. secure_buffer on its own (faults naming HYP, tags, zeroing, its errnos, its selftest) is
 * tested in its module: vendor-modules/secure-buffer/el1 SecureBufferIT.
 */
class SecureBufferIT {
    /** The buffer: DRAM pages nothing else uses, 16 MiB into DRAM. */
    private static final long BUF_PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final int BUF_PAGES = 4;
    /** The page data and tags travel in. */
    private static final long DATA_PFN = BUF_PFN + 0x100;
    private static final long DATA_PA = DATA_PFN << Dram.PAGE_SHIFT;
    private static final byte[] MESSAGE = "pay 100 to account 42, nonce 7".getBytes(StandardCharsets.US_ASCII);

    private static HostKernel boot(String... before) {
        var initramfs = Devices.newInitramfs();
        StringBuilder modules = new StringBuilder();
        for (String bundled : before) {
            Devices.addBundled(initramfs, bundled);
            modules.append(bundled).append(',');
        }
        Devices.addBundled(initramfs, SecureBufferDevice.NAME);
        modules.append(SecureBufferDevice.NAME).append(',').append(Devices.addFixture(initramfs, "mem-owner"));
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + modules + " mem=64M", initramfs);
        assertTrue(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().toString());
        return kernel;
    }

    /**
     * Scenario: mem_owner, an independent module, witnesses the page states secure_buffer leaves:
     * after a buffer was created, used to tag data through the shared data page and released, every
     * buffer page and the data page is the host's alone again (not donated, not shared).
     * (What the host itself sees, faults, tags, zeroes, is tested in the module:
     * vendor-modules/secure-buffer/el1 SecureBufferIT.)
     */
    @Test
    void releasedAndSharedPagesAreTheHostsAloneAgain() {
        HostKernel kernel = boot();
        SecureBufferDevice dev = new SecureBufferDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        int handle = dev.create(BUF_PFN, BUF_PAGES);
        int other = dev.create(BUF_PFN + BUF_PAGES, 1);
        writeMessage(host, MESSAGE);
        dev.mac(handle, DATA_PFN, MESSAGE.length);
        assertFalse(dev.verify(other, DATA_PFN, MESSAGE.length), "another key");
        assertEquals(Errno.EPERM.negated(), kernel.ioctl("mem_owner", 1, BUF_PFN), "the witness sees the page is not the host's");

        assertEquals(BUF_PAGES, dev.release(handle));
        assertEquals(1, dev.release(other));
        assertEveryPageIsTheHostsAlone(kernel, BUF_PFN, BUF_PAGES + 1);
        assertEveryPageIsTheHostsAlone(kernel, DATA_PFN, 1);
    }

    /**
     * Scenario: refused creates are all or nothing, as the witness sees it: a range overlapping a
     * buffer and a range holding a page page_guard restricted (another module's restriction: EPERM)
     * leave their other pages the host's alone; afterwards every page is.
     */
    @Test
    void refusedCreatesLeaveEveryOtherPageTheHostsAlone() {
        HostKernel kernel = boot(PageGuardDevice.NAME);
        SecureBufferDevice dev = new SecureBufferDevice(kernel);
        PageGuardDevice guard = new PageGuardDevice(kernel);
        int handle = dev.create(BUF_PFN, 2);

        assertErrno(Errno.EPERM, () -> dev.create(BUF_PFN + 1, 2), "overlaps the buffer");
        guard.guard(BUF_PFN + 9, 1, false);
        assertErrno(Errno.EPERM, () -> dev.create(BUF_PFN + 8, 2), "a page page_guard restricted");
        assertEquals(2, dev.pagesHeld());
        assertEveryPageIsTheHostsAlone(kernel, BUF_PFN + 2, 1); // the tail of the refused overlap
        assertEveryPageIsTheHostsAlone(kernel, BUF_PFN + 8, 1); // the pristine half of the refused range
        assertEquals(0, guard.unguard(BUF_PFN + 9));

        assertEquals(2, dev.release(handle));
        assertEveryPageIsTheHostsAlone(kernel, BUF_PFN, 10);
    }

    /**
     * Scenario: two host threads, each with its own buffer page and data page, create, tag, verify
     * and release 50 times at once, on different CPUs: every call succeeds, and afterwards no page is
     * held or shared and every page is the host's alone.
     */
    @Test
    void concurrentCallersLeaveNothingBehind() throws Exception {
        HostKernel kernel = boot();
        SecureBufferDevice dev = new SecureBufferDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        int rounds = 50;
        CyclicBarrier start = new CyclicBarrier(2);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long bufPfn = BUF_PFN + t;
                long dataPfn = DATA_PFN + 1 + t;
                done.add(pool.submit(() -> {
                    start.await();
                    int verified = 0;
                    for (int i = 0; i < rounds; i++) {
                        host.store64(dataPfn << Dram.PAGE_SHIFT, i);
                        int handle = dev.create(bufPfn, 1);
                        dev.mac(handle, dataPfn, 8);
                        verified += dev.verify(handle, dataPfn, 8) ? 1 : 0;
                        assertEquals(1, dev.release(handle));
                    }
                    return verified;
                }));
            }
            for (Future<Integer> f : done) {
                assertEquals(rounds, f.get());
            }
        }
        assertEquals(0, dev.pagesHeld());
        assertEquals(0, dev.pagesShared());
        assertEveryPageIsTheHostsAlone(kernel, BUF_PFN, 2);
        assertEveryPageIsTheHostsAlone(kernel, DATA_PFN + 1, 2);
    }

    /** mem_owner's donate and clear-and-give-back both succeed only on a page the host owns alone. */
    private static void assertEveryPageIsTheHostsAlone(HostKernel kernel, long pfn, long nrPages) {
        for (long p = pfn; p < pfn + nrPages; p++) {
            assertEquals(0, kernel.ioctl("mem_owner", 1, p), "page 0x" + Long.toHexString(p) + " is host OWNED, hyp NOPAGE");
            assertEquals(0, kernel.ioctl("mem_owner", 7, p));
        }
    }

    private static void writeMessage(HostMemory host, byte[] message) {
        for (int i = 0; i < message.length; i++) {
            host.store8(DATA_PA + i, message[i]);
        }
    }

    private static void assertErrno(Errno expected, Executable call) {
        assertErrno(expected, call, null);
    }

    private static void assertErrno(Errno expected, Executable call, String what) {
        assertEquals(expected, assertThrows(PkvmException.class, call, what).errno(), what);
    }
}
