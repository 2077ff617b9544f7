package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
 * The bundled secure_buffer module from its real module file: host pages donated to EL2 become a
 * secret the host cannot read, EL2 computes HMAC-SHA256 tags of host data with it through a page
 * shared for one call, and release zeroes the buffer and gives every page back. The fixture
 * mem-owner is the independent witness of page states: its donate-then-give-back succeeds only on a
 * page the host owns alone (not donated, not shared, not restricted).
 */
class SecureBufferIT {
    private static final long PAGE = 1L << Dram.PAGE_SHIFT;
    /** The buffer: DRAM pages nothing else uses, 16 MiB into DRAM. */
    private static final long BUF_PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final int BUF_PAGES = 4;
    /** The page data and tags travel in. */
    private static final long DATA_PFN = BUF_PFN + 0x100;
    private static final long DATA_PA = DATA_PFN << Dram.PAGE_SHIFT;
    private static final long PFN_LIMIT = 1L << (Dram.PA_BITS - Dram.PAGE_SHIFT);
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
     * Scenario: the host fills four pages and donates them: every host load and store of them now
     * faults naming owner HYP. The host writes a message into a data page; EL2 shares and pins it,
     * writes the tag of the message and unshares it again (no page stays shared). The tag is the
     * same twice, verifies, and fails to verify once the message or the tag changes; a second
     * buffer (another key) gives another tag. Release zeroes the buffer (the host reads zeroes, not
     * the key material nor its old data) and every page is the host's alone again.
     */
    @Test
    void theBufferIsEl2sAndTheTagComesBackThroughASharedPage() {
        HostKernel kernel = boot();
        SecureBufferDevice dev = new SecureBufferDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        for (long pa = BUF_PFN << Dram.PAGE_SHIFT; pa < (BUF_PFN + BUF_PAGES) << Dram.PAGE_SHIFT; pa += 8) {
            host.store64(pa, pa);
        }

        int handle = dev.create(BUF_PFN, BUF_PAGES);
        assertEquals(BUF_PAGES, dev.pagesHeld());
        for (long pfn = BUF_PFN; pfn < BUF_PFN + BUF_PAGES; pfn++) {
            long pa = (pfn << Dram.PAGE_SHIFT) + 8 * (pfn - BUF_PFN);
            Stage2Fault load = assertThrows(Stage2Fault.class, () -> host.load64(pa));
            assertEquals(OwnerId.HYP, load.owner());
            assertEquals(pa, load.pa());
            assertEquals(OwnerId.HYP, assertThrows(Stage2Fault.class, () -> host.store64(pa, 0)).owner());
        }

        writeMessage(host, MESSAGE);
        dev.mac(handle, DATA_PFN, MESSAGE.length);
        byte[] tag = readTag(host);
        assertEquals(0, dev.pagesShared(), "the data page was unshared after the call");
        assertFalse(Arrays.equals(new byte[32], tag), "a tag was written");
        assertArrayEquals(MESSAGE, readMessage(host, MESSAGE.length), "the message is untouched");
        dev.mac(handle, DATA_PFN, MESSAGE.length);
        assertArrayEquals(tag, readTag(host), "same key, same data, same tag");
        assertTrue(dev.verify(handle, DATA_PFN, MESSAGE.length));
        assertFalse(dev.verify(handle, DATA_PFN, MESSAGE.length - 1), "a shorter message has another tag");
        host.store8(DATA_PA + 4, (byte) '9');
        assertFalse(dev.verify(handle, DATA_PFN, MESSAGE.length), "a changed message fails");
        writeMessage(host, MESSAGE);
        host.store8(DATA_PA + SecureBufferDevice.TAG_OFFSET, (byte) (tag[0] ^ 1));
        assertFalse(dev.verify(handle, DATA_PFN, MESSAGE.length), "a changed tag fails");
        assertEquals(0, dev.pagesShared());

        int other = dev.create(BUF_PFN + BUF_PAGES, 1);
        assertNotEquals(handle, other);
        dev.mac(other, DATA_PFN, MESSAGE.length);
        assertFalse(Arrays.equals(tag, readTag(host)), "another buffer is another key");
        assertEquals(BUF_PAGES + 1, dev.pagesHeld());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains(
                "secure_buffer: buffer " + handle + " holds " + BUF_PAGES + " pages from pfn 0x" + Long.toHexString(BUF_PFN))));

        assertEquals(BUF_PAGES, dev.release(handle));
        assertEquals(1, dev.release(other));
        assertEquals(0, dev.pagesHeld());
        for (long pa = BUF_PFN << Dram.PAGE_SHIFT; pa < (BUF_PFN + BUF_PAGES + 1) << Dram.PAGE_SHIFT; pa += 8) {
            assertEquals(0, host.load64(pa), "released buffers are zeroed at 0x" + Long.toHexString(pa));
        }
        assertErrno(Errno.ENOENT, () -> dev.mac(handle, DATA_PFN, MESSAGE.length));
        assertErrno(Errno.ENOENT, () -> dev.release(handle));
        assertEveryPageIsTheHostsAlone(kernel, BUF_PFN, BUF_PAGES + 1);
        assertEveryPageIsTheHostsAlone(kernel, DATA_PFN, 1);
    }

    /**
     * Scenario: bad input comes back as the kernel's errno and changes nothing: MMIO (EPERM), past
     * the PA range or 0 or 17 pages (EINVAL), pages EL2 already holds or another module restricted
     * (EPERM: the pages not in conflict stay the host's, all or nothing), a ninth buffer (ENOMEM), a
     * data page that is a buffer page or MMIO (EPERM), a length into the tag (EINVAL), an unknown
     * handle (ENOENT). Afterwards the buffer still works, nothing is shared, and after release every
     * page is the host's alone.
     */
    @Test
    void badInputReturnsTheKernelsErrnoAndChangesNothing() {
        HostKernel kernel = boot(PageGuardDevice.NAME);
        SecureBufferDevice dev = new SecureBufferDevice(kernel);
        PageGuardDevice guard = new PageGuardDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        int handle = dev.create(BUF_PFN, 2);

        assertErrno(Errno.EPERM, () -> dev.create(0, 1));
        assertErrno(Errno.EINVAL, () -> dev.create(PFN_LIMIT - 1, 2));
        assertErrno(Errno.EINVAL, () -> dev.create(BUF_PFN + 8, 0));
        assertErrno(Errno.EINVAL, () -> dev.create(BUF_PFN + 8, 17));
        assertErrno(Errno.EPERM, () -> dev.create(BUF_PFN + 1, 2), "overlaps the buffer");
        guard.guard(BUF_PFN + 9, 1, false);
        assertErrno(Errno.EPERM, () -> dev.create(BUF_PFN + 8, 2), "a page page_guard restricted");
        assertEquals(2, dev.pagesHeld());
        host.store64((BUF_PFN + 2) << Dram.PAGE_SHIFT, 1); // the tail of the refused overlap: still the host's
        host.store64((BUF_PFN + 8) << Dram.PAGE_SHIFT, 1);
        assertEquals(0, guard.unguard(BUF_PFN + 9));

        writeMessage(host, MESSAGE);
        assertErrno(Errno.EPERM, () -> dev.mac(handle, BUF_PFN, MESSAGE.length), "a buffer page cannot be shared");
        assertErrno(Errno.EPERM, () -> dev.mac(handle, 0, MESSAGE.length), "MMIO");
        assertErrno(Errno.EINVAL, () -> dev.mac(handle, DATA_PFN, SecureBufferDevice.TAG_OFFSET + 1));
        assertErrno(Errno.ENOENT, () -> dev.mac(handle + 1, DATA_PFN, MESSAGE.length));
        assertErrno(Errno.ENOENT, () -> dev.release(15));
        assertEquals(0, dev.pagesShared());
        assertArrayEquals(new byte[32], readTag(host), "no refused call wrote a tag");
        dev.mac(handle, DATA_PFN, SecureBufferDevice.TAG_OFFSET);
        assertTrue(dev.verify(handle, DATA_PFN, SecureBufferDevice.TAG_OFFSET), "the buffer still works, up to the longest message");

        int[] more = new int[7];
        for (int i = 0; i < more.length; i++) {
            more[i] = dev.create(BUF_PFN + 16 + i, 1);
        }
        assertErrno(Errno.ENOMEM, () -> dev.create(BUF_PFN + 32, 1), "a ninth buffer");
        host.store64((BUF_PFN + 32) << Dram.PAGE_SHIFT, 1);
        assertEquals(2 + more.length, dev.pagesHeld());

        assertEquals(2, dev.release(handle));
        for (int h : more) {
            assertEquals(1, dev.release(h));
        }
        assertEquals(0, dev.pagesHeld());
        assertEveryPageIsTheHostsAlone(kernel, BUF_PFN, 33);
        assertEveryPageIsTheHostsAlone(kernel, DATA_PFN, 1);
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

    /** Scenario: the module's self-check (SHA-256 and RFC 4231 known answers at EL2, refusals) passes. */
    @Test
    void selftestPasses() {
        HostKernel kernel = boot();
        assertEquals(7, kernel.ioctl(SecureBufferDevice.NAME, MiscDevice.IOCTL_SELFTEST, 0));
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

    private static byte[] readMessage(HostMemory host, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = host.load8(DATA_PA + i);
        }
        return b;
    }

    private static byte[] readTag(HostMemory host) {
        byte[] tag = new byte[32];
        for (int i = 0; i < tag.length; i++) {
            tag[i] = host.load8(DATA_PA + SecureBufferDevice.TAG_OFFSET + i);
        }
        return tag;
    }

    private static void assertErrno(Errno expected, Executable call) {
        assertErrno(expected, call, null);
    }

    private static void assertErrno(Errno expected, Executable call, String what) {
        assertEquals(expected, assertThrows(PkvmException.class, call, what).errno(), what);
    }
}
