package org.pkvm4j.hypervisor.mem;

import java.util.concurrent.locks.ReentrantLock;
import org.pkvm4j.api.Errno;

/**
 * The hypervisor's VM table: handles, creation and the two-phase teardown.
 *
 * <p>Kernel counterpart: {@code vm_table} in {@code nvhe/pkvm.c}: {@code __pkvm_reserve_vm}, {@code
 * __pkvm_unreserve_vm}, {@code __pkvm_init_vm} (with {@code __pkvm_init_vcpu} folded in: pkvm4j
 * creates the vCPUs with the VM), {@code __pkvm_start_teardown_vm}, {@code
 * __pkvm_finalize_teardown_vm}. Handles are the slot index plus {@link #HANDLE_OFFSET}. The VM and
 * vCPU structures and the stage-2 table are Java objects, not donated host pages: pkvm4j does not
 * charge the host for them. Lock order: this table's lock, then the host lock, then a VM's lock.
 */
public final class VmTable {
    /** {@code HANDLE_OFFSET}: the first handle. */
    public static final int HANDLE_OFFSET = 0x1000;
    /** {@code KVM_MAX_PVMS}: the number of slots. */
    public static final int MAX_VMS = 255;
    /** The most vCPUs a VM may have in pkvm4j. */
    public static final int MAX_VCPUS = 64;

    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int ENOENT = -Errno.ENOENT.code();
    private static final int ENOMEM = -Errno.ENOMEM.code();
    private static final int EEXIST = -Errno.EEXIST.code();

    /** A reserved slot not yet initialised. */
    private static final Object RESERVED = new Object();

    final ReentrantLock lock = new ReentrantLock();
    private final Object[] slots = new Object[MAX_VMS];

    /** {@code __pkvm_reserve_vm}: a free handle, or -ENOMEM when the table is full. */
    public int reserveVm() {
        lock.lock();
        try {
            for (int i = 0; i < slots.length; i++) {
                if (slots[i] == null) {
                    slots[i] = RESERVED;
                    return i + HANDLE_OFFSET;
                }
            }
            return ENOMEM;
        } finally {
            lock.unlock();
        }
    }

    /** {@code __pkvm_unreserve_vm}: releases a reserved, never-initialised handle; -EINVAL otherwise. */
    public int unreserveVm(long handle) {
        lock.lock();
        try {
            int idx = index(handle);
            if (idx < 0 || slots[idx] != RESERVED) {
                return EINVAL;
            }
            slots[idx] = null;
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code __pkvm_init_vm} + {@code __pkvm_init_vcpu}: creates the hyp VM in a reserved slot.
     *
     * @return 0; -EINVAL for a handle below {@link #HANDLE_OFFSET} or out of the table, or no vCPU
     *     (or more than {@link #MAX_VCPUS}); -ENOENT for a handle not reserved; -EEXIST if created
     */
    public int initVm(long handle, long nrVcpus, boolean isProtected) {
        if (handle < HANDLE_OFFSET || nrVcpus < 1 || nrVcpus > MAX_VCPUS) {
            return EINVAL;
        }
        lock.lock();
        try {
            int idx = index(handle);
            if (idx < 0) {
                return EINVAL;
            }
            if (slots[idx] == null) {
                return ENOENT;
            }
            if (slots[idx] != RESERVED) {
                return EEXIST;
            }
            slots[idx] = new HypVm((int) handle, isProtected, (int) nrVcpus);
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** {@code __pkvm_start_teardown_vm}: the VM must exist, be unreferenced and not dying; -EINVAL otherwise. */
    public int startTeardownVm(long handle) {
        lock.lock();
        try {
            HypVm vm = getLocked(handle);
            if (vm == null || vm.refs != 0 || vm.dying) {
                return EINVAL;
            }
            vm.dying = true;
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** Removes a dying, unreferenced VM from the table; null (-EINVAL) otherwise. Caller holds {@link #lock}. */
    HypVm removeDyingLocked(long handle) {
        HypVm vm = getLocked(handle);
        if (vm == null || !vm.dying || vm.refs != 0) {
            return null;
        }
        slots[index(handle)] = null;
        return vm;
    }

    /** The initialised VM with {@code handle}, or null. */
    HypVm get(long handle) {
        lock.lock();
        try {
            return getLocked(handle);
        } finally {
            lock.unlock();
        }
    }

    HypVm getLocked(long handle) {
        int idx = index(handle);
        return idx >= 0 && slots[idx] instanceof HypVm vm ? vm : null;
    }

    private static int index(long handle) {
        long idx = handle - HANDLE_OFFSET;
        return idx >= 0 && idx < MAX_VMS ? (int) idx : -1;
    }
}
