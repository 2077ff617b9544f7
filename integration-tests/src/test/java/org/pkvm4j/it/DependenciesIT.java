package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Vendor EL1 modules that depend on each other ({@code depends=} in modinfo, {@code requires} in
 * the EL1 descriptor): modprobe loads dependencies first, their layer is a parent of the
 * dependent's, and a cycle or a missing dependency is refused before anything loads.
 */
class DependenciesIT {

    private static Path initramfsWith(String... fixtures) {
        Path initramfs = Devices.newInitramfs();
        for (String f : fixtures) {
            Devices.addFixture(initramfs, f);
        }
        return initramfs;
    }

    private static HostKernel boot(Path initramfs, String modules) {
        return Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + modules, initramfs);
    }

    private static List<String> lsmod(HostKernel kernel) {
        return kernel.lsmod().stream().map(LoadedModule::name).toList();
    }

    private static long rawHvc(HostKernel kernel, int id) {
        return kernel.gateway().hvc(Smccc.kvmHostSmcccId(id), 0, 0, 0).a0();
    }

    /**
     * Scenario: only dep_user is listed; modprobe loads dep_base first (dep_user's init uses a class
     * dep_base exports, which fails unless dep_base's init ran before), then dep_user.
     */
    @Test
    void dependencyLoadsFirstAndItsLayerIsAParent() {
        HostKernel kernel = boot(initramfsWith("dep-base", "dep-user"), "dep_user");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState(), kernel.securityState().describe());
        assertEquals(List.of("dep_base", "dep_user"), lsmod(kernel));
        assertEquals(1, kernel.ioctl("dep_user", 0, 0), "dep_user attached to dep_base exactly once");
        assertEquals(0xba5e, kernel.pkvm("dep_base").orElseThrow().el2ModCall(kernel.lsmod().get(0).hvcs().getFirst()));
        assertEquals(0x05e7, kernel.pkvm("dep_user").orElseThrow().el2ModCall(kernel.lsmod().get(1).hvcs().getFirst()));
    }

    /** Scenario: both listed, the dependent first: the dependency still loads first, and only once. */
    @Test
    void listingTheDependentFirstStillLoadsTheDependencyFirst() {
        HostKernel kernel = boot(initramfsWith("dep-base", "dep-user"), "dep_user,dep_base");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertEquals(List.of("dep_base", "dep_user"), lsmod(kernel));
        assertEquals(1, kernel.ioctl("dep_user", 0, 0));
    }

    /** Scenario: a depends on b, b on a: EINVAL naming the cycle, nothing loaded, no init ran. */
    @Test
    void aCycleIsRefusedAndNothingLoads() {
        HostKernel kernel = boot(initramfsWith("dep-cycle-a", "dep-cycle-b"), "dep_cycle_a");
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("dep_cycle_a", insecure.module());
        assertEquals(Errno.EINVAL, insecure.errno());
        assertEquals("EINVAL: modprobe dep_cycle_a: dependency cycle dep_cycle_a -> dep_cycle_b -> dep_cycle_a", insecure.reason());
        assertEquals(org.pkvm4j.host.diag.ErrorCode.LOAD_DEPENDENCY_CYCLE, insecure.code());
        assertEquals(List.of(), lsmod(kernel));
        assertEquals(List.of(), kernel.liveVendorLayers(), "no layer was ever defined");
        assertFalse(String.join("\n", kernel.log().lines()).contains("init ran"));
    }

    /**
     * Scenario: dep_missing depends on dep_base (present) and dep_ghost (absent): ENOENT naming the
     * chain, and dep_base is not loaded either: the chain is resolved before anything loads.
     */
    @Test
    void aMissingDependencyIsRefusedWithNothingHalfLoaded() {
        HostKernel kernel = boot(initramfsWith("dep-base", "dep-missing"), "dep_missing");
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(Errno.ENOENT, insecure.errno());
        assertTrue(insecure.reason().startsWith("ENOENT: modprobe dep_missing: dependency dep_ghost of dep_missing cannot be"
                + " loaded (dep_missing -> dep_ghost)"), insecure.reason());
        assertEquals(org.pkvm4j.host.diag.ErrorCode.LOAD_NOT_FOUND, insecure.code(), "the missing dependency's own code");
        assertEquals(List.of(), lsmod(kernel), "dep_base was not loaded on the way");
        assertEquals(List.of(), kernel.liveVendorLayers());
        assertEquals(Smccc.RET_NOT_SUPPORTED, rawHvc(kernel, 128));
    }

    /** Scenario: a late modprobe of a cycle fails the same way, with the errno, at any time. */
    @Test
    void modprobeOfACycleAfterBootThrows() {
        HostKernel kernel = boot(initramfsWith("dep-cycle-a", "dep-cycle-b", "dep-base"), "dep_base");
        PkvmException e = assertThrows(PkvmException.class, () -> kernel.modprobe("dep_cycle_b"));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: modprobe dep_cycle_b: dependency cycle dep_cycle_b -> dep_cycle_a -> dep_cycle_b", e.getMessage());
        assertEquals(List.of("dep_base"), lsmod(kernel));
    }

    /**
     * Scenario: the dependency's EL1 init fails (injected): dep_user is not loaded, the errno is
     * dep_base's, the message names the dependency, and dep_base's HVC is revoked.
     */
    @Test
    void aFailingDependencyFailsTheDependent() {
        Path initramfs = initramfsWith("dep-base", "dep-user");
        HostKernel kernel = HostKernel.boot(BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=dep_user",
                initramfs).withFaults(FaultPlan.of(new BootFault.El1InitFails("dep_base", Errno.ENODEV))));
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("dep_user", insecure.module());
        assertEquals(Errno.ENODEV, insecure.errno());
        assertTrue(insecure.reason().startsWith("ENODEV: modprobe dep_user: dependency dep_base failed: dep_base: EL1 init"), insecure.reason());
        assertEquals(List.of(), lsmod(kernel));
        assertEquals(Smccc.RET_NOT_SUPPORTED, rawHvc(kernel, 128), "dep_base's handler was revoked");
    }
}
