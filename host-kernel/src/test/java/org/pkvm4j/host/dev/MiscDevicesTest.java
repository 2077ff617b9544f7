package org.pkvm4j.host.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;

class MiscDevicesTest {
    private final MiscDevices devices = new MiscDevices();

    @Test
    void ioctlReachesTheRegisteredDevice() {
        devices.register("drv", "pkvm_driver", (cmd, arg) -> cmd * 1000L + arg);
        assertEquals(3007, devices.ioctl("pkvm_driver", 3, 7));
        assertEquals("drv", devices.owner("pkvm_driver"));
    }

    @Test
    void aTakenNameIsEexistAndKeepsTheFirstDevice() {
        devices.register("a", "dev", (cmd, arg) -> 1);
        PkvmException e = assertThrows(PkvmException.class, () -> devices.register("b", "dev", (cmd, arg) -> 2));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("already registered by a"), e.getMessage());
        assertEquals(1, devices.ioctl("dev", 0, 0));
    }

    @Test
    void aMissingDeviceIsEnoent() {
        PkvmException e = assertThrows(PkvmException.class, () -> devices.ioctl("nope", 0, 0));
        assertEquals(Errno.ENOENT, e.errno());
        assertNull(devices.owner("nope"));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "  ", "a/b"})
    void badNamesAreEinval(String name) {
        PkvmException e = assertThrows(PkvmException.class, () -> devices.register("a", name, (cmd, arg) -> 0));
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void theDevicesOwnErrnoPropagates() {
        devices.register("a", "dev", (cmd, arg) -> {
            throw new PkvmException(Errno.EFAULT, "bad arg");
        });
        assertEquals(Errno.EFAULT, assertThrows(PkvmException.class, () -> devices.ioctl("dev", 0, 0)).errno());
    }

    @Test
    void deregisterAllRemovesOnlyThatOwnersDevices() {
        devices.register("a", "a1", (cmd, arg) -> 0);
        devices.register("b", "b1", (cmd, arg) -> 0);
        devices.register("a", "a2", (cmd, arg) -> 0);
        assertEquals(List.of("a1", "a2", "b1"), devices.names());

        devices.deregisterAll("a");

        assertEquals(List.of("b1"), devices.names());
        assertEquals(Errno.ENOENT, assertThrows(PkvmException.class, () -> devices.ioctl("a1", 0, 0)).errno());
        devices.register("c", "a1", (cmd, arg) -> 5);
        assertEquals(5, devices.ioctl("a1", 0, 0));
    }
}
