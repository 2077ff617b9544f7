package org.pkvm4j.hypervisor.device;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.el2.DeviceResetHandler;
import org.pkvm4j.hypervisor.mem.HypSpinLock;
import org.pkvm4j.machine.DmaEngine;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Smmu;

/**
 * The devices the host may assign to a protected VM: the machine's DMA engines, each known by its
 * register page ({@link DmaEngine#regsPhys}), with the reset callback a module registered for it and
 * the VM that holds it.
 *
 * <p>Kernel counterpart: {@code nvhe/device/device.c} ({@code registered_devices}, {@code
 * pkvm_device_register_reset}, {@code pkvm_device_reset}, {@code __pkvm_device_assign}, and the
 * teardown that gives devices back). The kernel learns its devices from the host at {@code
 * __pkvm_devices_init}; pkvm4j's are fixed by the machine. Reset is mandatory, as in ACK 6.12: a
 * device without a callback cannot be assigned.
 */
public final class PkvmDevices {
    private static final int ENODEV = -Errno.ENODEV.code();
    private static final int EBUSY = -Errno.EBUSY.code();
    /** No VM holds the device: the host's. */
    private static final long HOST = -1;

    private final HypSpinLock lock = new HypSpinLock();
    private final DeviceResetHandler[] handlers = new DeviceResetHandler[Smmu.NR_STREAMS];
    private final long[] cookies = new long[Smmu.NR_STREAMS];
    private final long[] holders = new long[Smmu.NR_STREAMS];

    /** Every device the host's. */
    public PkvmDevices() {
        java.util.Arrays.fill(holders, HOST);
    }

    /** The device index of register page {@code phys}, or -1 if no device has its registers there. */
    private static int device(long phys) {
        long off = phys - DmaEngine.REGS_BASE;
        if (off < 0 || off >= (long) Smmu.NR_STREAMS << Dram.PAGE_SHIFT || (off & ((1L << Dram.PAGE_SHIFT) - 1)) != 0) {
            return -1;
        }
        return (int) (off >>> Dram.PAGE_SHIFT);
    }

    /**
     * {@code pkvm_device_register_reset(phys, cookie, cb)}.
     *
     * @return 0; -ENODEV if no device has its registers at {@code phys}; -EBUSY if it has a callback
     */
    public int registerReset(long phys, long cookie, DeviceResetHandler handler) {
        int d = device(phys);
        if (d < 0) {
            return ENODEV;
        }
        lock.lock();
        try {
            if (handlers[d] != null) {
                return EBUSY;
            }
            handlers[d] = handler;
            cookies[d] = cookie;
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** Drops {@code handler} wherever it is registered (its module is gone). */
    public void unregisterReset(DeviceResetHandler handler) {
        lock.lock();
        try {
            for (int d = 0; d < handlers.length; d++) {
                if (handlers[d] == handler) {
                    handlers[d] = null;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code __pkvm_device_assign}: gives the device at {@code phys} to VM {@code handle} after its
     * reset callback ran ({@code host_to_guest}).
     *
     * @return 0; -ENODEV for no such device or one without a reset callback; -EBUSY if a VM holds it;
     *     the callback's errno, which blocks the assignment
     */
    public int assign(long phys, long handle) {
        int d = device(phys);
        if (d < 0) {
            return ENODEV;
        }
        lock.lock();
        try {
            if (handlers[d] == null) {
                return ENODEV; // reset is mandatory
            }
            if (holders[d] != HOST) {
                return EBUSY;
            }
            int ret = handlers[d].reset(cookies[d], true);
            if (ret != 0) {
                return ret < 0 ? ret : -Errno.EINVAL.code();
            }
            holders[d] = handle;
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives every device VM {@code handle} holds back to the host, each after its reset ({@code
     * host_to_guest} false), at the VM's teardown.
     *
     * @throws IllegalStateException if a reset fails: the device would go back with the guest's state,
     *     the kernel panics (and so does pkvm4j: the exception is a hyp panic)
     */
    public void releaseVm(long handle) {
        lock.lock();
        try {
            for (int d = 0; d < holders.length; d++) {
                if (holders[d] == handle) {
                    DeviceResetHandler h = handlers[d];
                    int ret = h == null ? ENODEV : h.reset(cookies[d], false);
                    if (ret != 0) {
                        throw new IllegalStateException("device at PA 0x%x: reset on its way back from VM 0x%x failed: %d"
                                .formatted(DmaEngine.REGS_BASE + ((long) d << Dram.PAGE_SHIFT), handle, ret));
                    }
                    holders[d] = HOST;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The VM holding the device at {@code phys}, or -1 if the host does (or there is none). */
    public long holder(long phys) {
        int d = device(phys);
        return d < 0 ? HOST : holders[d];
    }
}
