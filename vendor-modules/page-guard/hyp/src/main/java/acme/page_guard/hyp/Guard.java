package acme.page_guard.hyp;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One guarded range of host pages and what the fault handler recorded about it. The range and the
 * mode never change once published; the counters are atomics because faults on several CPUs may
 * hit the same guard at once, and the handler takes no lock.
 */
final class Guard {
    final long pfn;
    final long nrPages;
    final boolean logOnly;
    final AtomicLong violations = new AtomicLong();
    final AtomicLong lastAddr = new AtomicLong();

    Guard(long pfn, long nrPages, boolean logOnly) {
        this.pfn = pfn;
        this.nrPages = nrPages;
        this.logOnly = logOnly;
    }

    /** One past the last pfn; the caller made sure it does not overflow. */
    long end() {
        return pfn + nrPages;
    }

    boolean holds(long pagePfn) {
        return pagePfn >= pfn && pagePfn < end();
    }

    boolean overlaps(long otherPfn, long otherEnd) {
        return otherPfn < end() && pfn < otherEnd;
    }
}
