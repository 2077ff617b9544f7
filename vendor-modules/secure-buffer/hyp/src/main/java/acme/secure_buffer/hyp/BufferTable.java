package acme.secure_buffer.hyp;

import org.pkvm4j.api.el2.HypSpinLock;

/**
 * The live buffers, indexed by handle, with the module's page accounting. A fixed number of slots
 * allocated at init; every handler that changes memory state runs under the one hyp spinlock, so a
 * release cannot race a MAC over the same buffer.
 */
final class BufferTable {
    private final Buffer[] slots;
    private final HypSpinLock lock;
    private long pagesHeld;
    private long sharesHeld;

    BufferTable(int capacity, HypSpinLock lock) {
        slots = new Buffer[capacity];
        this.lock = lock;
    }

    /** The buffer of {@code handle}, or null (also for a handle out of range). */
    Buffer get(long handle) {
        return handle >= 0 && handle < slots.length ? slots[(int) handle] : null;
    }

    /** A free handle, or -1. */
    int freeHandle() {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                return i;
            }
        }
        return -1;
    }

    void put(int handle, Buffer buffer) {
        slots[handle] = buffer;
        pagesHeld += buffer.nrPages();
    }

    void remove(int handle) {
        pagesHeld -= slots[handle].nrPages();
        slots[handle] = null;
    }

    int live() {
        int n = 0;
        for (Buffer b : slots) {
            n += b == null ? 0 : 1;
        }
        return n;
    }

    /** Host pages the buffers hold now. */
    long pagesHeld() {
        return pagesHeld;
    }

    /** Host pages shared with EL2 now (only ever non-zero inside a handler). */
    long sharesHeld() {
        return sharesHeld;
    }

    void shared(int delta) {
        sharesHeld += delta;
    }

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }
}
