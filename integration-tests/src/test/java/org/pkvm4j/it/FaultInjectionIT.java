package org.pkvm4j.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.cli.explore.BootOutcome;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Faults injected at boot into the bundled modules ({@code pkvm_driver,kvstore}): each outcome is
 * checked from userspace (security state, which HVCs answer, whether a protected VM starts), and
 * each failed load leaves nothing behind (no handler, no EL2 image, no device, no layer).
 */
class FaultInjectionIT {
    private static final String CMDLINE = "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore nr_cpus=2";

    private static HostKernel boot(BootFault... faults) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "kvstore");
        return HostKernel.boot(BootConfig.of(CMDLINE, initramfs).withFaults(FaultPlan.of(faults)));
    }

    private static String dmesg(HostKernel kernel) {
        return String.join("\n", kernel.log().lines());
    }

    private static List<String> lsmod(HostKernel kernel) {
        return kernel.lsmod().stream().map(LoadedModule::name).toList();
    }

    private static void assertPvmRefused(HostKernel kernel) {
        PkvmException e = assertThrows(PkvmException.class, () -> kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED));
        assertEquals(Errno.EPERM, e.errno());
    }

    private static void assertLayersReleased(HostKernel kernel, String... modules) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            System.gc();
            List<String> live = kernel.liveVendorLayers();
            for (String module : modules) {
                assertFalse(live.contains(module), module + " is still reachable: " + live);
            }
        });
    }

    /** Scenario: no fault: the plan is empty and the device is the bundled one, protected, both modules' HVCs answering. */
    @Test
    void noFaultIsAProductionBoot() {
        HostKernel kernel = boot();
        BootOutcome o = BootOutcome.probe(kernel);
        assertEquals("protected", o.security());
        assertEquals(Map.of("pkvm_driver", 1, "kvstore", 4), o.answering());
        assertEquals(0, o.strayHvcs());
        assertTrue(o.pvmAllowed());
        assertFalse(dmesg(kernel).contains("fault injection"));
    }

    /**
     * Scenario: kvstore's EL1 init fails with ENODEV after it ran (EL2 loaded, four handlers
     * registered): insecure because of kvstore, pkvm_driver's HVC still answers, kvstore's do not,
     * no protected VM, its EL2 image and layers are gone, dmesg names the injected fault.
     */
    @Test
    void el1InitFault() {
        HostKernel kernel = boot(new BootFault.El1InitFails("kvstore", Errno.ENODEV));
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("kvstore", insecure.module());
        assertEquals(Errno.ENODEV, insecure.errno());
        assertTrue(insecure.reason().contains("(injected fault)"), insecure.reason());
        BootOutcome o = BootOutcome.probe(kernel);
        assertEquals(Map.of("pkvm_driver", 1), o.answering());
        assertEquals(0, o.strayHvcs(), "kvstore's four handlers were revoked");
        assertFalse(o.pvmAllowed());
        assertPvmRefused(kernel);
        assertEquals(1, kernel.machine().moduleRam().allocations().size(), "only pkvm_driver's EL2 image is in module RAM");
        assertEquals(0, kernel.machine().moduleRam().placedCount(), "no image left placed");
        assertFalse(kernel.devices().names().contains("kvstore"));
        assertTrue(dmesg(kernel).contains("fault injection: kvstore: EL1 init fails with ENODEV (-19) after it ran"),
                dmesg(kernel));
        assertLayersReleased(kernel, "acme.kvstore", "acme.kvstore.hyp");
    }

    /**
     * Scenario: pkvm_driver's EL2 init fails with EIO, injected at EL2 (armed at __pkvm_init): the
     * list stops at the first module, so no module's HVC answers; the hyp console says so.
     */
    @Test
    void el2InitFaultIsInjectedAtEl2() {
        HostKernel kernel = boot(new BootFault.El2InitFails("pkvm_driver", Errno.EIO));
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("pkvm_driver", insecure.module());
        assertEquals(Errno.EIO, insecure.errno());
        assertEquals(List.of(), lsmod(kernel));
        BootOutcome o = BootOutcome.probe(kernel);
        assertEquals(Map.of(), o.answering());
        assertEquals(0, o.strayHvcs());
        assertPvmRefused(kernel);
        assertEquals(Map.of(), kernel.machine().moduleRam().allocations());
        String dmesg = dmesg(kernel);
        assertTrue(dmesg.contains("EL2: pKVM: fault injection armed: EL2 init of pkvm_driver fails with EIO (-5)"), dmesg);
        assertTrue(dmesg.contains("EL2: pKVM: fault injection: pkvm_driver: __pkvm_init_module returns EIO (-5)"), dmesg);
        assertFalse(dmesg.contains("EL2: pkvm_driver: EL2 init"), "the EL2 init never ran");
        assertTrue(kernel.isDeprivileged(), "an insecure device still deprivileges");
        assertLayersReleased(kernel, "acme.pkvm_driver", "acme.pkvm_driver.hyp");
    }

    /**
     * Scenario: kvstore's third __pkvm_register_hcall answers ENOMEM at EL2: kvstore fails with
     * ENOMEM, its first two handlers are revoked, pkvm_driver's still answers.
     */
    @Test
    void registrationFault() {
        HostKernel kernel = boot(new BootFault.HcallRegistrationFails("kvstore", 3));
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("kvstore", insecure.module());
        assertEquals(Errno.ENOMEM, insecure.errno());
        BootOutcome o = BootOutcome.probe(kernel);
        assertEquals(Map.of("pkvm_driver", 1), o.answering());
        assertEquals(0, o.strayHvcs(), "the two handlers registered before the failure were revoked");
        assertPvmRefused(kernel);
        assertTrue(dmesg(kernel).contains("fault injection: kvstore: __pkvm_register_hcall #3 returns ENOMEM (-12)"));
        assertEquals(1, kernel.machine().moduleRam().allocations().size());
        assertLayersReleased(kernel, "acme.kvstore", "acme.kvstore.hyp");
    }

    /**
     * Scenario: kvstore is moved out of the protected list and modprobed after deprivilege: the
     * device is protected (every listed module loaded) and a pVM may start, but kvstore's load is
     * refused with EOPNOTSUPP and none of its HVCs answers: the hole a forgotten list entry makes.
     */
    @Test
    void lateLoadFault() {
        HostKernel kernel = boot(new BootFault.LoadsLate("kvstore"));
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertEquals(List.of("pkvm_driver"), lsmod(kernel));
        List<BootReport.LateLoad> late = kernel.bootReport().lateLoads();
        assertEquals(1, late.size());
        assertEquals("kvstore", late.getFirst().module());
        assertEquals(Optional.of(Errno.EOPNOTSUPP), late.getFirst().errno());
        BootOutcome o = BootOutcome.probe(kernel);
        assertEquals(Map.of("pkvm_driver", 1), o.answering());
        assertTrue(o.pvmAllowed());
        assertEquals(Map.of("kvstore", "EOPNOTSUPP"), o.lateLoads());
        assertTrue(dmesg(kernel).contains(
                "fault injection: kvstore moved from kvm-arm.protected_modules= to a modprobe after deprivilege"));
        assertEquals(1, kernel.machine().moduleRam().allocations().size());
        assertLayersReleased(kernel, "acme.kvstore");
    }

    /**
     * Scenario: the same fault under the other order gives another outcome: kvstore's EL1 init
     * failing first stops the list before pkvm_driver, so no HVC answers at all.
     */
    @Test
    void theSameFaultDependsOnTheOrder() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "kvstore");
        FaultPlan plan = FaultPlan.of(new BootFault.El1InitFails("kvstore", Errno.ENODEV));
        BootOutcome first = BootOutcome.probe(HostKernel.boot(BootConfig.of(CMDLINE, initramfs).withFaults(plan)));
        BootOutcome second = BootOutcome.probe(HostKernel.boot(BootConfig.of(
                "kvm-arm.mode=protected kvm-arm.protected_modules=kvstore,pkvm_driver nr_cpus=2", initramfs).withFaults(plan)));
        assertEquals(first.describeSecurity(), second.describeSecurity());
        assertEquals(Map.of("pkvm_driver", 1), first.answering());
        assertEquals(Map.of(), second.answering());
        assertFalse(first.orderFreeKey().equals(second.orderFreeKey()));
    }

    /** Scenario: two faults in one plan: the first listed module's fault fires, the second never gets its turn. */
    @Test
    void aPlanOfTwoFaults() {
        HostKernel kernel = boot(new BootFault.HcallRegistrationFails("pkvm_driver", 1),
                new BootFault.El1InitFails("kvstore", Errno.ENODEV));
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("pkvm_driver", insecure.module());
        assertEquals(Errno.ENOMEM, insecure.errno());
        assertFalse(dmesg(kernel).contains("fault injection: kvstore: EL1 init fails with"), "kvstore never loaded");
    }
}
