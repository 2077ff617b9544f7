package org.pkvm4j.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;

/**
 * An EL2 init that registers an illegal-abort notifier, a host perm-fault handler, a fixmap mapping
 * and a private mapping and then fails: the hypervisor takes every registration back with the
 * module, so nothing at EL2 keeps the failed module's code (its layers become unreachable).
 */
class FailedEl2InitRegistrationsIT {

    /** Scenario: pkvm_driver, then the fixture: the load fails with ENODEV and both its layers are released. */
    @Test
    void aFailedEl2InitLeavesNoRegistrationHoldingItsCode() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        String name = Devices.addFixture(initramfs, "el2-init-registers-fails");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + name, initramfs);

        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("el2_init_registers_fails", insecure.module());
        assertEquals(Errno.ENODEV, insecure.errno());
        assertEquals(0, kernel.machine().moduleRam().placedCount(), "no EL2 image left behind");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            System.gc();
            List<String> live = kernel.liveVendorLayers();
            assertFalse(live.contains("fixture.el2_init_registers_fails.hyp"), "the EL2 layer is still reachable: " + live);
            assertFalse(live.contains("fixture.el2_init_registers_fails"), "the EL1 layer is still reachable: " + live);
        });
        assertTrue(kernel.liveVendorLayers().contains("acme.pkvm_driver"), "loaded modules keep their layers");
    }
}
