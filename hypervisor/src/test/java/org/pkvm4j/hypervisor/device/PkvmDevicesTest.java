package org.pkvm4j.hypervisor.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.machine.DmaEngine;

/** Reset callbacks of assignable devices: mandatory for an assignment, which a failing one blocks; on the way back a failure is fatal. */
class PkvmDevicesTest {
    private static final long DEV = DmaEngine.REGS_BASE + 2 * 4096;
    private final PkvmDevices devices = new PkvmDevices();
    private final List<String> calls = new ArrayList<>();
    private int answer;

    private int reset(long cookie, boolean hostToGuest) {
        calls.add(cookie + (hostToGuest ? " to guest" : " to host"));
        return answer;
    }

    /** Scenario: one callback per device; unknown addresses are ENODEV; a device without one cannot be assigned. */
    @Test
    void registrationIsOnePerDevice() {
        assertEquals(-Errno.ENODEV.code(), devices.assign(DEV, 0x1000), "reset is mandatory");
        assertEquals(-Errno.ENODEV.code(), devices.registerReset(DmaEngine.REGS_BASE - 4096, 1, this::reset));
        assertEquals(-Errno.ENODEV.code(), devices.registerReset(DEV + 8, 1, this::reset));
        assertEquals(0, devices.registerReset(DEV, 7, this::reset));
        assertEquals(-Errno.EBUSY.code(), devices.registerReset(DEV, 8, this::reset));
    }

    /** Scenario: a failing reset blocks the assignment; a good one assigns; teardown resets it back to the host. */
    @Test
    void assignmentRunsTheResetAndTeardownGivesTheDeviceBack() {
        devices.registerReset(DEV, 7, this::reset);
        answer = -Errno.EIO.code();
        assertEquals(-Errno.EIO.code(), devices.assign(DEV, 0x1000));
        assertEquals(-1, devices.holder(DEV), "blocked: still the host's");
        answer = 0;
        assertEquals(0, devices.assign(DEV, 0x1000));
        assertEquals(0x1000, devices.holder(DEV));
        assertEquals(-Errno.EBUSY.code(), devices.assign(DEV, 0x1001));
        devices.releaseVm(0x1001); // holds nothing
        devices.releaseVm(0x1000);
        assertEquals(-1, devices.holder(DEV));
        assertEquals(List.of("7 to guest", "7 to guest", "7 to host"), calls);
    }

    /** Scenario: a reset that fails on the way back is fatal (the caller turns it into a hyp panic). */
    @Test
    void aFailedResetAtTeardownIsFatal() {
        devices.registerReset(DEV, 7, this::reset);
        devices.assign(DEV, 0x1000);
        answer = -Errno.EIO.code();
        assertThrows(IllegalStateException.class, () -> devices.releaseVm(0x1000));
        devices.unregisterReset(this::reset); // a different lambda instance: nothing removed
    }
}
