package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;

/**
 * A vendor callback that resets an assignable device when it changes hands, so no state of the
 * previous owner (host or protected guest) survives in it.
 *
 * <p>Kernel counterpart: {@code int (*cb)(void *cookie, bool host_to_guest)} of {@code
 * device_register_reset} ({@code pkvm_device_reset} in {@code nvhe/device/device.c}). A non-zero
 * result blocks the assignment to the guest; on the way back (VM teardown) it is a hyp panic.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface DeviceResetHandler {
    /**
     * Resets the device, on the CPU of the hypercall that moves it.
     *
     * @param cookie the value given at registration
     * @param hostToGuest {@code true} when the device goes to a guest, {@code false} when it comes back
     * @return 0, or a negative errno to refuse
     */
    int reset(long cookie, boolean hostToGuest);
}
