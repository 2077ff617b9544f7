package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.host.HostKernel;

/** The exception-level boundary holds: layers, references and strong encapsulation. */
class IsolationIT {
    private static final long ALL_ATTEMPTS = 0b11111;

    /**
     * Scenario: EL2 code tries to reach the hypervisor's and the host's private state through
     * reflection and class loading; every attempt fails.
     */
    @Test
    void el2ReflectionIntoHypervisorAndHostFails() {
        var initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-reflection");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + name, initramfs);

        long result = kernel.ioctl("el2_reflection", 0, 0);
        long worked = result >>> 32;
        long blocked = result & 0xffff_ffffL;
        assertEquals(0, worked, "attempts that got through, as bits: " + Long.toBinaryString(worked));
        assertEquals(ALL_ATTEMPTS, blocked);
    }

    /** Scenario: the hypervisor lives in its own layer, never in the boot layer the host runs in. */
    @Test
    void hypervisorIsNotInTheBootLayer() {
        Devices.bootBundled("pkvm_driver");
        assertTrue(ModuleLayer.boot().findModule("org.pkvm4j.hypervisor").isEmpty());
        assertTrue(ModuleLayer.boot().findModule("org.pkvm4j.host").isPresent());
    }

    /** Scenario: after boot the host can neither take the hypervisor's platform nor rewrite VBAR_EL2. */
    @Test
    void hostCannotRegainTheHypervisorsCapabilities() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        assertThrows(IllegalStateException.class, () -> kernel.machine().takeHypPlatform());
        assertThrows(IllegalStateException.class, () -> kernel.machine().installEl2Vector(cpu -> { }));
    }

    /** Scenario: vendor EL1 modules are in layers of their own, defined with the platform loader as parent. */
    @Test
    void vendorModulesGetTheirOwnLayersAndLoaders() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver", "kvstore");
        var driverPkvm = kernel.pkvm("pkvm_driver").orElseThrow();
        // The Pkvm is the kernel's object; the module's classes are elsewhere: the boot layer has no vendor module.
        assertTrue(ModuleLayer.boot().findModule("acme.pkvm_driver").isEmpty());
        assertTrue(ModuleLayer.boot().findModule("acme.pkvm_driver.hyp").isEmpty());
        assertEquals("org.pkvm4j.host", driverPkvm.getClass().getModule().getName());
    }
}
