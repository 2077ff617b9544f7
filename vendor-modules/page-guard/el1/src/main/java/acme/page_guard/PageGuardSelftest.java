package acme.page_guard;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;

/**
 * {@code /dev/page_guard}'s self-check: EL2 refuses every bad range with the kernel's errno and
 * keeps no guard for it. It works on pfn 0 (the MMIO window, which no guard can hold) and the end
 * of the PA range, so it never touches a page the host uses and can run on a live device.
 */
final class PageGuardSelftest {
    /** The first pfn past a 48-bit physical address space. */
    private static final long PFN_LIMIT = 1L << (48 - 12);

    private final PageGuard guard;
    private long calls;

    PageGuardSelftest(PageGuard guard) {
        this.guard = guard;
    }

    /** Runs the checks; returns how many EL2 calls it checked. */
    long run() {
        expect("guard MMIO", Errno.EPERM, guard.protect(0, 1, 0));
        expect("guard past the PA range", Errno.EINVAL, guard.protect(PFN_LIMIT - 1, 2, 0));
        expect("guard no pages", Errno.EINVAL, guard.protect(0, 0, 0));
        expect("guard with unknown flags", Errno.EINVAL, guard.protect(0, 1, 2));
        expect("stats of no guard", Errno.ENOENT, guard.violations(0));
        expect("unguard no guard", Errno.ENOENT, guard.unprotect(0));
        return calls;
    }

    private void expect(String what, Errno errno, long x1) {
        calls++;
        if (x1 != errno.negated()) {
            throw new PkvmException(Errno.EIO, "page_guard selftest: " + what + ": expected " + errno + ", got " + x1);
        }
    }
}
