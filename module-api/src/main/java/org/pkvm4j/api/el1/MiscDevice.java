package org.pkvm4j.api.el1;

import org.pkvm4j.api.VendorImplemented;

/**
 * A character device an EL1 module offers to userspace: the way user programs (and the demo
 * workload) reach a module after boot.
 *
 * <p>Kernel counterpart: a {@code struct miscdevice} with an {@code unlocked_ioctl}. Registered
 * with {@link ModuleContext#miscRegister}; userspace calls it as {@code /dev/<name>}.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface MiscDevice {
    /** The conventional command every bundled module answers: run the module's self-check. */
    int IOCTL_SELFTEST = 0;

    /**
     * Handles one ioctl.
     *
     * @param cmd the ioctl command
     * @param arg its argument
     * @return a non-negative result
     * @throws org.pkvm4j.api.PkvmException to fail the ioctl with an errno
     */
    long ioctl(int cmd, long arg);
}
