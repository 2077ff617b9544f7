package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;

/** The exception-level boundary holds: layers, references and strong encapsulation. */
class IsolationIT {
    private static final long ALL_ATTEMPTS = 0b11111;

    /** Scenario: EL2 code that uses reflection is refused at load by the EL2 verifier (EPERM), before any class is defined. */
    @Test
    void el2ReflectionIsRefusedAtLoad() {
        var initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-reflection");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + name, initramfs);

        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(Errno.EPERM, insecure.errno());
        assertTrue(insecure.reason().contains("EL2 code refused") && insecure.reason().contains("reflection"),
                insecure.reason());
        assertTrue(kernel.liveVendorLayers().isEmpty(), "no layer was defined: " + kernel.liveVendorLayers());
    }

    /**
     * Scenario: with the verifier off (pkvm.el2_verify=0), EL2 code tries to reach the hypervisor's
     * and the host's private state through reflection and class loading at run time; strong
     * encapsulation and the EL2 loader stop every attempt.
     */
    @Test
    void el2ReflectionIntoHypervisorAndHostFailsEvenUnverified() {
        var initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-reflection");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected pkvm.el2_verify=0 kvm-arm.protected_modules=" + name,
                initramfs);
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("NOT verified")));

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
