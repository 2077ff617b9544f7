package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.machine.HypPanic;

/** The exception-level boundary holds: layers, references and strong encapsulation. */
class IsolationIT {
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
     * Scenario: with the static checks bypassed (pkvm.el2_verify=0, the test-only path), EL2 code
     * that reaches for reflection names JDK classes (java.lang.reflect, ReflectiveOperationException)
     * the EL2 loader's run-time allow-list does not admit: the JVM cannot link it, and that link error
     * inside EL2 is a hyp panic naming the module and the class, never a running JDK class. The device
     * was tainted all along (no protected VM), and the JVM goes on: a fresh device boots protected and
     * answers.
     */
    @Test
    void el2ReflectionPanicsTheHypervisorEvenUnverified() {
        var initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-reflection");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected pkvm.el2_verify=0 kvm-arm.protected_modules=" + name,
                initramfs);
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("NOT verified")));
        assertFalse(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().describe());
        assertEquals(java.util.List.of("pkvm.el2_verify=0"), kernel.bootReport().measurements().taints());
        HypPanic panic = kernel.panic().orElseThrow(() -> new AssertionError(String.join("\n", kernel.log().lines())));
        assertTrue(panic.reason().contains("EL2 module el2_reflection failed to link")
                && panic.reason().contains("NoClassDefFoundError: java/lang/"), panic.reason());
        assertTrue(kernel.lsmod().stream().noneMatch(m -> m.name().equals("el2_reflection")), "its init never ran");
        assertEquals(Errno.EPERM, assertThrows(org.pkvm4j.api.PkvmException.class,
                () -> kernel.kvm().createVm(org.pkvm4j.host.kvm.Kvm.KVM_VM_TYPE_ARM_PROTECTED)).errno());

        HostKernel fresh = Devices.bootBundled("pkvm_driver");
        assertInstanceOf(SecurityState.Protected.class, fresh.securityState());
        assertEquals(1, fresh.ioctl("pkvm_driver", 0, 0));
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
