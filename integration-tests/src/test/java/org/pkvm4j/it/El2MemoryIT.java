package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;

/**
 * EL2 allocation is bounded like EL2's own memory (docs/adr/0021): a trap over the budget is a hyp
 * panic ({@code PKVM-HYP-NOMEM}) of that device, never an {@code OutOfMemoryError} of the host; the
 * budget counts per trap; the JVM and other devices go on.
 */
class El2MemoryIT {
    private static HostKernel bootHoard(String extra) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        String name = Devices.addFixture(initramfs, "el2-hoard");
        return Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + name + " mem=64M " + extra,
                initramfs);
    }

    private static HypPanic assertNomem(HostKernel kernel, Throwable thrown) {
        HypPanicException e = assertInstanceOf(HypPanicException.class, thrown);
        HypPanic panic = kernel.panic().orElseThrow();
        assertEquals(panic, e.panic());
        assertEquals(ErrorCode.HYP_NOMEM, ErrorCode.of(e));
        assertTrue(panic.reason().startsWith("PKVM-HYP-NOMEM: "), panic.reason());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("HYP panic") && l.contains("PKVM-HYP-NOMEM")));
        return panic;
    }

    /** Scenario: allocations within the budget work, and the budget is per trap: two 40 MiB traps under 64 MiB. */
    @Test
    void allocationsWithinTheBudgetOfEachTrapWork() {
        HostKernel kernel = bootHoard("");
        assertEquals(1000, kernel.ioctl("el2_hoard", 1, 1000));
        assertEquals(5 << 20, kernel.ioctl("el2_hoard", 1, 5 << 20), "a 40 MiB array");
        assertEquals(5 << 20, kernel.ioctl("el2_hoard", 1, 5 << 20), "and another one in the next trap");
        assertEquals(40, kernel.ioctl("el2_hoard", 2, 40), "40 rows of 1 MiB");
        assertTrue(kernel.panic().isEmpty());
    }

    /** Scenario: one array over the budget: the panic comes before the array exists, naming module and symbol. */
    @Test
    void anArrayOverTheBudgetPanicsBeforeItIsAllocated() {
        HostKernel kernel = bootHoard("");
        Throwable thrown = assertThrows(Throwable.class, () -> kernel.ioctl("el2_hoard", 1, 1 << 30));
        HypPanic panic = assertNomem(kernel, thrown);
        assertTrue(panic.reason().contains("el2_hoard_hvc of module el2_hoard"), panic.reason());
        assertTrue(panic.reason().contains("would allocate " + (16 + (8L << 30)) + " bytes"), panic.reason());
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: a multi-dimensional array whose rows add up past the budget (80 MiB against 64). */
    @Test
    void aMultiDimensionalArrayIsChargedForAllItsRows() {
        HostKernel kernel = bootHoard("");
        Throwable thrown = assertThrows(Throwable.class, () -> kernel.ioctl("el2_hoard", 2, 80));
        assertNomem(kernel, thrown);
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: the JDK grows a list for the module: the watchdog's sample of the thread's allocations stops it. */
    @Test
    void whatTheJdkAllocatesForTheModuleIsSampled() {
        HostKernel kernel = bootHoard("pkvm.hyp_alloc_mb=16 pkvm.hyp_budget_ms=10");
        Throwable thrown = assertThrows(Throwable.class, () -> kernel.ioctl("el2_hoard", 3, Integer.MAX_VALUE));
        HypPanic panic = assertNomem(kernel, thrown);
        assertTrue(panic.reason().contains("through the JDK"), panic.reason());
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: without a budget, an array the JVM cannot give is still a hyp panic, not the host's error. */
    @Test
    void anOutOfMemoryErrorInEl2CodeIsAnEl2Panic() {
        HostKernel kernel = bootHoard("pkvm.hyp_alloc_mb=0");
        Throwable thrown = assertThrows(Throwable.class, () -> kernel.ioctl("el2_hoard", 4, 0));
        HypPanic panic = assertNomem(kernel, thrown);
        assertTrue(panic.reason().contains("OutOfMemoryError"), panic.reason());
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: a malformed budget is a command-line error. */
    @Test
    void aMalformedBudgetIsACommandLineError() {
        Path initramfs = Devices.newInitramfs();
        Throwable thrown = assertThrows(Throwable.class,
                () -> Devices.boot("kvm-arm.mode=protected pkvm.hyp_alloc_mb=lots", initramfs));
        assertEquals(ErrorCode.BOOT_CMDLINE, ErrorCode.of(thrown));
        assertTrue(thrown.getMessage().contains("pkvm.hyp_alloc_mb=lots is not a size in MiB"), thrown.getMessage());
    }
}
