package acme.page_guard.hyp;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.pkvm4j.api.el2.HypSpinLock;

/**
 * The guards of this module: a fixed number of slots allocated at init (EL2 memory is not grown on
 * demand). Writers (the protect and unprotect handlers) serialise on a hyp spinlock; the permission-fault
 * handler reads the slots without it, so a fault never waits for an HVC on another CPU.
 */
final class GuardTable {
    private final AtomicReferenceArray<Guard> slots;
    private final HypSpinLock lock;

    GuardTable(int capacity, HypSpinLock lock) {
        slots = new AtomicReferenceArray<>(capacity);
        this.lock = lock;
    }

    /** The guard holding page {@code pfn}, or null; lock-free, for the fault handler. */
    Guard holding(long pfn) {
        for (int i = 0; i < slots.length(); i++) {
            Guard g = slots.get(i);
            if (g != null && g.holds(pfn)) {
                return g;
            }
        }
        return null;
    }

    /** The guard whose first page is {@code pfn}, or null; call with the lock held. */
    Guard startingAt(long pfn) {
        for (int i = 0; i < slots.length(); i++) {
            Guard g = slots.get(i);
            if (g != null && g.pfn == pfn) {
                return g;
            }
        }
        return null;
    }

    /** Whether a guard overlaps {@code [pfn, end)}; call with the lock held. */
    boolean overlaps(long pfn, long end) {
        for (int i = 0; i < slots.length(); i++) {
            Guard g = slots.get(i);
            if (g != null && g.overlaps(pfn, end)) {
                return true;
            }
        }
        return false;
    }

    /** Publishes {@code guard} in a free slot; false if none is free. Call with the lock held. */
    boolean add(Guard guard) {
        for (int i = 0; i < slots.length(); i++) {
            if (slots.get(i) == null) {
                slots.set(i, guard);
                return true;
            }
        }
        return false;
    }

    /** Unpublishes {@code guard}; call with the lock held. */
    void remove(Guard guard) {
        for (int i = 0; i < slots.length(); i++) {
            if (slots.get(i) == guard) {
                slots.set(i, null);
                return;
            }
        }
        throw new IllegalStateException("guard at pfn 0x" + Long.toHexString(guard.pfn) + " is not in the table");
    }

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }
}
