package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;

/** Nothing unwinds across EL2: an exception escaping EL2 code panics the hypervisor, visibly. */
class HypPanicIT {

    /**
     * Scenario: a handler throws; the call that trapped gets the panic, the host logs the report
     * with the module and symbol, and the machine takes no more traps.
     */
    @Test
    void exceptionEscapingAHandlerIsAHypPanic() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        String name = Devices.addFixture(initramfs, "handler-panics");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + name, initramfs);
        assertEquals(1, kernel.ioctl("handler_panics", 0, 1), "the handler works while x1 != 0");

        HypPanicException e = assertThrows(HypPanicException.class, () -> kernel.ioctl("handler_panics", 0, 0));
        HypPanic panic = kernel.panic().orElseThrow();
        assertEquals(panic, e.panic());
        assertTrue(panic.reason().contains("handler_panics_hvc of module handler_panics"), panic.reason());
        assertTrue(panic.detail().contains("NullPointerException"), panic.detail());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("Kernel panic - not syncing: HYP panic")));
        assertThrows(HypPanicException.class, () -> kernel.ioctl("pkvm_driver", 0, 0), "no more traps");
        assertThrows(HypPanicException.class, () -> kernel.gateway().hvc(Smccc.kvmHostSmcccId(128), 0, 0, 0));
    }

    /** Scenario: an EL2 init crashes (not a PkvmException): the boot stops with the panic recorded. */
    @Test
    void el2InitThatCrashesPanicsTheBoot() {
        var initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-init-panics");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + name, initramfs);

        HypPanic panic = kernel.bootReport().panic().orElseThrow();
        assertTrue(panic.reason().contains("el2_init_panics_init"), panic.reason());
        assertTrue(panic.detail().contains("ArrayIndexOutOfBoundsException"), panic.detail());
        assertFalse(kernel.bootReport().deprivileged());
        assertTrue(kernel.lsmod().isEmpty());
    }
}
