package acme.secure_buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.testkit.PkvmAssertions.assertErrno;
import static org.pkvm4j.testkit.PkvmAssertions.assertStage2Fault;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;
import org.pkvm4j.testkit.PkvmBoot;

/**
 * secure_buffer, loaded from the file this build produced: host pages donated to EL2 become a
 * secret the host cannot read, EL2 computes HMAC-SHA256 tags of host data with it through a page
 * shared for one call, and release zeroes the buffer and gives every page back. Reached as
 * userspace does, through {@code /dev/secure_buffer}; what the host sees of its pages is checked
 * through its own loads and stores.
 */
@PkvmBoot(modules = "${pkvm4j.module.file}")
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

    /** Scenario: the EL2 init prints on the hyp console and six handlers are registered. */
    @Test
    void loadsWithSixHandlers(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("secure_buffer", 6).deprivileged();
        assertThat(log).containsEl2LineMatching("^secure_buffer: EL2 ready, 8 buffers of up to 16 pages$").hasNoErrorLines();
    }

    /**
     * Scenario: the host fills four pages and donates them: every host load and store of them now
     * faults naming owner HYP. The host writes a message into a data page; EL2 shares and pins it,
     * writes the tag of the message and unshares it again (no page stays shared). The tag is the
     * same twice, verifies, and fails to verify once the message or the tag changes; a second
     * buffer (another key) gives another tag. Release zeroes the buffer (the host reads zeroes, not
     * the key material nor its old data) and the host can write its pages again.
     */
    @Test
    void theBufferIsEl2sAndTheTagComesBackThroughASharedPage(HostKernel kernel, HostMemory host, KernelLog log) {
        for (long pa = BUF_PFN << Dram.PAGE_SHIFT; pa < (BUF_PFN + BUF_PAGES) << Dram.PAGE_SHIFT; pa += 8) {
            host.store64(pa, pa);
        }

        int handle = create(kernel, BUF_PFN, BUF_PAGES);
        assertEquals(BUF_PAGES, pagesHeld(kernel));
        for (long pfn = BUF_PFN; pfn < BUF_PFN + BUF_PAGES; pfn++) {
            long pa = (pfn << Dram.PAGE_SHIFT) + 8 * (pfn - BUF_PFN);
            Stage2Fault load = assertStage2Fault(OwnerId.HYP, () -> host.load64(pa));
            assertEquals(pa, load.pa());
            assertFalse(load.write());
            assertStage2Fault(OwnerId.HYP, () -> host.store64(pa, 0));
        }

        writeMessage(host, MESSAGE);
        mac(kernel, handle, DATA_PFN, MESSAGE.length);
        byte[] tag = readTag(host);
        assertEquals(0, pagesShared(kernel), "the data page was unshared after the call");
        assertFalse(Arrays.equals(new byte[32], tag), "a tag was written");
        assertArrayEquals(MESSAGE, readMessage(host, MESSAGE.length), "the message is untouched");
        mac(kernel, handle, DATA_PFN, MESSAGE.length);
        assertArrayEquals(tag, readTag(host), "same key, same data, same tag");
        assertTrue(verify(kernel, handle, DATA_PFN, MESSAGE.length));
        assertFalse(verify(kernel, handle, DATA_PFN, MESSAGE.length - 1), "a shorter message has another tag");
        host.store8(DATA_PA + 4, (byte) '9');
        assertFalse(verify(kernel, handle, DATA_PFN, MESSAGE.length), "a changed message fails");
        writeMessage(host, MESSAGE);
        host.store8(DATA_PA + SecureBuffer.TAG_OFFSET, (byte) (tag[0] ^ 1));
        assertFalse(verify(kernel, handle, DATA_PFN, MESSAGE.length), "a changed tag fails");
        assertEquals(0, pagesShared(kernel));

        int other = create(kernel, BUF_PFN + BUF_PAGES, 1);
        assertNotEquals(handle, other);
        mac(kernel, other, DATA_PFN, MESSAGE.length);
        assertFalse(Arrays.equals(tag, readTag(host)), "another buffer is another key");
        assertEquals(BUF_PAGES + 1, pagesHeld(kernel));
        assertThat(log).containsEl2LineMatching("^secure_buffer: buffer " + handle + " holds " + BUF_PAGES
                + " pages from pfn 0x" + Long.toHexString(BUF_PFN) + "$");

        assertEquals(BUF_PAGES, release(kernel, handle));
        assertEquals(1, release(kernel, other));
        assertEquals(0, pagesHeld(kernel));
        for (long pa = BUF_PFN << Dram.PAGE_SHIFT; pa < (BUF_PFN + BUF_PAGES + 1) << Dram.PAGE_SHIFT; pa += 8) {
            assertEquals(0, host.load64(pa), "released buffers are zeroed at 0x" + Long.toHexString(pa));
        }
        for (long pa = BUF_PFN << Dram.PAGE_SHIFT; pa < (BUF_PFN + BUF_PAGES + 1) << Dram.PAGE_SHIFT; pa += PAGE) {
            host.store64(pa, 1); // the host's again: no fault
        }
        assertErrno(Errno.ENOENT, () -> mac(kernel, handle, DATA_PFN, MESSAGE.length));
        assertErrno(Errno.ENOENT, () -> release(kernel, handle));
    }

    /**
     * Scenario: bad input comes back as the kernel's errno and changes nothing: MMIO (EPERM), past
     * the PA range or 0 or 17 pages (EINVAL), pages EL2 already holds (EPERM: the page not in
     * conflict stays the host's, all or nothing), a ninth buffer (ENOMEM), a data page that is a
     * buffer page or MMIO (EPERM), a length into the tag (EINVAL), an unknown handle (ENOENT), an
     * unknown ioctl (EINVAL). Afterwards the buffer still works, nothing is shared or left held.
     */
    @Test
    void badInputReturnsTheKernelsErrnoAndChangesNothing(HostKernel kernel, HostMemory host) {
        int handle = create(kernel, BUF_PFN, 2);

        assertErrno(Errno.EPERM, () -> create(kernel, 0, 1));
        assertErrno(Errno.EINVAL, () -> create(kernel, PFN_LIMIT - 1, 2));
        assertErrno(Errno.EINVAL, () -> create(kernel, BUF_PFN + 8, 0));
        assertErrno(Errno.EINVAL, () -> create(kernel, BUF_PFN + 8, 17));
        assertErrno(Errno.EPERM, () -> create(kernel, BUF_PFN + 1, 2)); // overlaps the buffer
        assertErrno(Errno.EINVAL, () -> kernel.ioctl("secure_buffer", 99, 0));
        assertEquals(2, pagesHeld(kernel));
        host.store64((BUF_PFN + 2) << Dram.PAGE_SHIFT, 1); // the tail of the refused overlap: still the host's
        host.store64((BUF_PFN + 8) << Dram.PAGE_SHIFT, 1);

        writeMessage(host, MESSAGE);
        assertErrno(Errno.EPERM, () -> mac(kernel, handle, BUF_PFN, MESSAGE.length)); // a buffer page cannot be shared
        assertErrno(Errno.EPERM, () -> mac(kernel, handle, 0, MESSAGE.length)); // MMIO
        assertErrno(Errno.EINVAL, () -> mac(kernel, handle, DATA_PFN, SecureBuffer.TAG_OFFSET + 1));
        assertErrno(Errno.ENOENT, () -> mac(kernel, handle + 1, DATA_PFN, MESSAGE.length));
        assertErrno(Errno.ENOENT, () -> release(kernel, 15));
        assertEquals(0, pagesShared(kernel));
        assertArrayEquals(new byte[32], readTag(host), "no refused call wrote a tag");
        mac(kernel, handle, DATA_PFN, SecureBuffer.TAG_OFFSET);
        assertTrue(verify(kernel, handle, DATA_PFN, SecureBuffer.TAG_OFFSET), "the buffer still works, up to the longest message");

        int[] more = new int[7];
        for (int i = 0; i < more.length; i++) {
            more[i] = create(kernel, BUF_PFN + 16 + i, 1);
        }
        assertErrno(Errno.ENOMEM, () -> create(kernel, BUF_PFN + 32, 1)); // a ninth buffer
        host.store64((BUF_PFN + 32) << Dram.PAGE_SHIFT, 1);
        assertEquals(2 + more.length, pagesHeld(kernel));

        assertEquals(2, release(kernel, handle));
        for (int h : more) {
            assertEquals(1, release(kernel, h));
        }
        assertEquals(0, pagesHeld(kernel));
        assertEquals(0, pagesShared(kernel));
    }

    /** Scenario: the module's self-check (SHA-256 and RFC 4231 known answers at EL2, refusals) passes. */
    @Test
    void selftestPasses(HostKernel kernel) {
        assertEquals(7, kernel.ioctl("secure_buffer", MiscDevice.IOCTL_SELFTEST, 0));
    }

    private static int create(HostKernel kernel, long pfn, int nrPages) {
        return (int) kernel.ioctl("secure_buffer", SecureBuffer.IOCTL_CREATE, SecureBuffer.createArg(pfn, nrPages));
    }

    private static void mac(HostKernel kernel, int handle, long pfn, int length) {
        assertEquals(0, kernel.ioctl("secure_buffer", SecureBuffer.IOCTL_MAC, SecureBuffer.macArg(pfn, length, handle)));
    }

    private static boolean verify(HostKernel kernel, int handle, long pfn, int length) {
        return kernel.ioctl("secure_buffer", SecureBuffer.IOCTL_VERIFY, SecureBuffer.macArg(pfn, length, handle)) == 1;
    }

    private static long release(HostKernel kernel, int handle) {
        return kernel.ioctl("secure_buffer", SecureBuffer.IOCTL_RELEASE, handle);
    }

    private static long pagesHeld(HostKernel kernel) {
        return kernel.ioctl("secure_buffer", SecureBuffer.IOCTL_PAGES_HELD, 0);
    }

    private static long pagesShared(HostKernel kernel) {
        return kernel.ioctl("secure_buffer", SecureBuffer.IOCTL_PAGES_SHARED, 0);
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
            tag[i] = host.load8(DATA_PA + SecureBuffer.TAG_OFFSET + i);
        }
        return tag;
    }
}
