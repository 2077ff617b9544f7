package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.attest.Measurement;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * The boot checks every listed module on every core before the ordered load (ADR 0018); what the
 * device does must not show it: refusals come in load order, and only what the ordered load read
 * is measured.
 */
class CheckAheadIT {

    /**
     * Scenario: the second of three listed modules breaks the EL2 rules; the check-ahead has
     * checked all three: the boot still stops at the second with its own refusal, the third is
     * neither loaded nor measured.
     */
    @Test
    void aRefusedModuleIsRefusedInLoadOrderAndNothingAfterItIsMeasured() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "kvstore");
        String bad = Devices.addFixture(initramfs, "el2-reflection");
        for (int boot = 0; boot < 2; boot++) { // the second boot finds the good modules' results cached
            HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + bad
                    + ",kvstore", initramfs);

            SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
            assertEquals(bad, insecure.module());
            assertEquals(Errno.EPERM, insecure.errno());
            assertEquals(ErrorCode.LOAD_EL2_POLICY, insecure.code());
            assertTrue(insecure.reason().contains("EL2 code refused"), insecure.reason());
            assertEquals(List.of("pkvm_driver"), kernel.lsmod().stream().map(LoadedModule::name).toList());
            assertEquals(List.of("pkvm_driver", bad), kernel.bootReport().measurements().beforeFreeze().stream()
                    .map(Measurement::name).toList(), "only what the ordered load read is measured");
        }
    }

    /** Scenario: a listed module has no file: refused where it is listed, the rest unmeasured. */
    @Test
    void aMissingModuleIsRefusedWhereItIsListed() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "kvstore");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,no_such_module,kvstore",
                initramfs);

        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("no_such_module", insecure.module());
        assertEquals(Errno.ENOENT, insecure.errno());
        assertEquals(List.of("pkvm_driver"), kernel.bootReport().measurements().beforeFreeze().stream()
                .map(Measurement::name).toList());
    }

    /** Scenario: every listed module is good: all load, in the listed order, and work. */
    @Test
    void goodModulesLoadInTheListedOrder() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "kvstore");
        Devices.addBundled(initramfs, "pkvm_driver");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=kvstore,pkvm_driver", initramfs);

        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertEquals(List.of("kvstore", "pkvm_driver"), kernel.lsmod().stream().map(LoadedModule::name).toList());
        assertEquals(List.of("kvstore", "pkvm_driver"), kernel.bootReport().measurements().beforeFreeze().stream()
                .map(Measurement::name).toList());
        assertEquals(1, kernel.ioctl("pkvm_driver", 0, 0));
    }
}
