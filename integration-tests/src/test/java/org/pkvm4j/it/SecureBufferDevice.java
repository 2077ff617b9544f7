package org.pkvm4j.it;

import org.pkvm4j.host.HostKernel;

/**
 * {@code /dev/secure_buffer} as a user program sees it: the ioctl numbers and argument packing of
 * {@code acme.secure_buffer.SecureBuffer}, repeated here as a uapi header is. Each call fails with
 * the ioctl's {@code PkvmException}.
 */
record SecureBufferDevice(HostKernel kernel) {
    static final String NAME = "secure_buffer";
    static final int IOCTL_CREATE = 1;
    static final int IOCTL_MAC = 2;
    static final int IOCTL_VERIFY = 3;
    static final int IOCTL_RELEASE = 4;
    static final int IOCTL_PAGES_HELD = 5;
    static final int IOCTL_PAGES_SHARED = 6;

    /** Donates {@code nrPages} from {@code pfn} to EL2 as a new buffer; returns its handle. */
    int create(long pfn, int nrPages) {
        return (int) kernel.ioctl(NAME, IOCTL_CREATE, pfn << 8 | nrPages);
    }

    /** Has EL2 write the tag of the first {@code length} bytes of page {@code pfn} at its end. */
    void mac(int handle, long pfn, int length) {
        kernel.ioctl(NAME, IOCTL_MAC, pfn << 16 | (long) length << 4 | handle);
    }

    /** Whether page {@code pfn} holds the right tag of its first {@code length} bytes. */
    boolean verify(int handle, long pfn, int length) {
        return kernel.ioctl(NAME, IOCTL_VERIFY, pfn << 16 | (long) length << 4 | handle) == 1;
    }

    /** Zeroes buffer {@code handle} and gives its pages back; returns how many. */
    long release(int handle) {
        return kernel.ioctl(NAME, IOCTL_RELEASE, handle);
    }

    /** Host pages the buffers hold. */
    long pagesHeld() {
        return kernel.ioctl(NAME, IOCTL_PAGES_HELD, 0);
    }

    /** Host pages shared with EL2 now. */
    long pagesShared() {
        return kernel.ioctl(NAME, IOCTL_PAGES_SHARED, 0);
    }
}
