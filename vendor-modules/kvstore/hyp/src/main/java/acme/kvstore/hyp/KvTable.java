package acme.kvstore.hyp;

import org.pkvm4j.api.el2.HypSpinLock;

/**
 * An open-addressing hash table of {@code long} keys and values with a fixed capacity, guarded by
 * the hypervisor's spinlock ({@code hyp_spinlock_t}): EL2 memory is allocated once at init and EL2
 * code may spin, never sleep.
 */
final class KvTable {
    private static final byte FREE = 0;
    private static final byte USED = 1;
    private static final byte DELETED = 2;

    private final long[] keys;
    private final long[] values;
    private final byte[] state;
    private final HypSpinLock lock;
    private int size;

    KvTable(int capacity, HypSpinLock lock) {
        this.lock = lock;
        keys = new long[capacity];
        values = new long[capacity];
        state = new byte[capacity];
    }

    /** Stores {@code value} under {@code key}; false if the table is full. */
    boolean put(long key, long value) {
        lock();
        try {
            int free = -1;
            for (int i = 0, slot = slot(key); i < keys.length; i++, slot = next(slot)) {
                if (state[slot] == USED && keys[slot] == key) {
                    values[slot] = value;
                    return true;
                }
                if (state[slot] != USED && free < 0) {
                    free = slot;
                }
                if (state[slot] == FREE) {
                    break;
                }
            }
            if (free < 0) {
                return false;
            }
            keys[free] = key;
            values[free] = value;
            state[free] = USED;
            size++;
            return true;
        } finally {
            unlock();
        }
    }

    /** The slot holding {@code key}, or -1; call with the lock held. */
    private int find(long key) {
        for (int i = 0, slot = slot(key); i < keys.length && state[slot] != FREE; i++, slot = next(slot)) {
            if (state[slot] == USED && keys[slot] == key) {
                return slot;
            }
        }
        return -1;
    }

    /** The value of {@code key} in {@code out[0]}; false if absent. */
    boolean get(long key, long[] out) {
        lock();
        try {
            int slot = find(key);
            if (slot < 0) {
                return false;
            }
            out[0] = values[slot];
            return true;
        } finally {
            unlock();
        }
    }

    /** Removes {@code key}; false if absent. */
    boolean remove(long key) {
        lock();
        try {
            int slot = find(key);
            if (slot < 0) {
                return false;
            }
            state[slot] = DELETED;
            size--;
            return true;
        } finally {
            unlock();
        }
    }

    int size() {
        lock();
        try {
            return size;
        } finally {
            unlock();
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) ((h ^ (h >>> 32)) & 0x7fff_ffff) % keys.length;
    }

    private int next(int slot) {
        return slot + 1 == keys.length ? 0 : slot + 1;
    }

    private void lock() {
        lock.lock();
    }

    private void unlock() {
        lock.unlock();
    }
}
