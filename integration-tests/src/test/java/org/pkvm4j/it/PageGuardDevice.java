package org.pkvm4j.it;

import org.pkvm4j.host.HostKernel;

/**
 * {@code /dev/page_guard} as a user program sees it: the ioctl numbers and argument packing of
 * {@code acme.page_guard.PageGuard}, repeated here as a uapi header is (the tests do not put the
 * module's classes on their own class path). Each call fails with the ioctl's {@code PkvmException}.
 */
record PageGuardDevice(HostKernel kernel) {
    static final String NAME = "page_guard";
    static final int IOCTL_GUARD = 1;
    static final int IOCTL_UNGUARD = 2;
    static final int IOCTL_VIOLATIONS = 3;

    /** Write-protects {@code nrPages} from {@code pfn}; writes fault (refused) or, {@code logOnly}, are ignored. */
    void guard(long pfn, long nrPages, boolean logOnly) {
        kernel.ioctl(NAME, IOCTL_GUARD, pfn << 24 | nrPages << 1 | (logOnly ? 1 : 0));
    }

    /** Gives the guard starting at {@code pfn} back RWX; returns its violation count. */
    long unguard(long pfn) {
        return kernel.ioctl(NAME, IOCTL_UNGUARD, pfn);
    }

    /** The violation count of the guard holding {@code pfn}. */
    long violations(long pfn) {
        return kernel.ioctl(NAME, IOCTL_VIOLATIONS, pfn);
    }
}
