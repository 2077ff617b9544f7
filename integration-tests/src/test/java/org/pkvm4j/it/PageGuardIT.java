package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;

/**
 * The bundled page_guard module from its real module file, next to a second module (the fixture
 * mem-owner): how page_guard's permission-fault handler chains with another module's, and how it
 * refuses pages another module restricted. page_guard on its own (faults, counts, log-only mode,
 * its bad ranges, its selftest) is tested in its module: vendor-modules/page-guard/el1 PageGuardIT.
 */
class PageGuardIT {
    /** DRAM pages nothing else uses: 16 MiB into DRAM. */
    private static final long PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final long PAGE = 1L << Dram.PAGE_SHIFT;
    private static final long PA = PFN << Dram.PAGE_SHIFT;

    /** page_guard, then mem_owner: page_guard's fault handler is registered first. */
    private static HostKernel boot() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, PageGuardDevice.NAME);
        String modules = PageGuardDevice.NAME + "," + Devices.addFixture(initramfs, "mem-owner");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + modules + " mem=64M", initramfs);
        assertTrue(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().toString());
        return kernel;
    }

    /**
     * Scenario: a range holding a page another module restricted (mem_owner write-protects PFN + 9)
     * is refused with EPERM, all or nothing: the pristine PFN + 8 stays writable, and page_guard
     * keeps no guard for either page. (page_guard's own bad ranges, no second module needed, are
     * tested in its module, vendor-modules/page-guard/el1 PageGuardIT.)
     */
    @Test
    void aRangeHoldingAPageAnotherModuleRestrictedIsRefused() {
        HostKernel kernel = boot();
        PageGuardDevice dev = new PageGuardDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        assertEquals(0, kernel.ioctl("mem_owner", 4, PFN + 9));
        assertErrno(Errno.EPERM, () -> dev.guard(PFN + 8, 2, false)); // pristine PFN + 8, restricted PFN + 9

        host.store64(PA + 8 * PAGE, 6); // the refused range's host page: still writable
        assertEquals(6, host.load64(PA + 8 * PAGE));
        assertErrno(Errno.ENOENT, () -> dev.violations(PFN + 8));
        assertErrno(Errno.ENOENT, () -> dev.violations(PFN + 9));
        assertEquals(0, kernel.ioctl("mem_owner", 5, PFN + 9));
        dev.guard(PFN + 8, 2, false); // once mem_owner gave it back, the same range is guarded
        assertEquals(0, dev.unguard(PFN + 8));
    }

    /**
     * Scenario: page_guard's handler is registered first, mem_owner's (which claims every fault)
     * second. A fault on a page mem_owner protects is not page_guard's: it passes it on, mem_owner
     * claims it, page_guard records nothing. A fault page_guard refuses also goes on down the chain:
     * mem_owner claims it, so the host takes no abort, but page_guard has recorded it and the write
     * is still not performed.
     */
    @Test
    void faultsGoDownTheHandlerChainInRegistrationOrder() {
        HostKernel kernel = boot();
        PageGuardDevice dev = new PageGuardDevice(kernel);
        HostMemory host = kernel.machine().hostMemory();
        host.store64(PA, 10);
        dev.guard(PFN, 1, false);
        assertEquals(0, kernel.ioctl("mem_owner", 4, PFN + 4));

        host.store64(PA + 4 * PAGE, 1);
        assertEquals(1, kernel.ioctl("mem_owner", 6, 0), "mem_owner claimed its own page's fault");
        assertEquals(0, dev.violations(PFN));
        assertErrno(Errno.ENOENT, () -> dev.violations(PFN + 4));

        host.store64(PA, 11);
        assertEquals(1, dev.violations(PFN), "page_guard saw the fault first");
        assertEquals(2, kernel.ioctl("mem_owner", 6, 0), "then mem_owner claimed what page_guard refused");
        assertEquals(10, host.load64(PA));
        assertEquals(1, dev.unguard(PFN));
        assertEquals(0, kernel.ioctl("mem_owner", 5, PFN + 4));
    }

    private static void assertErrno(Errno expected, Executable call) {
        assertEquals(expected, assertThrows(PkvmException.class, call).errno());
    }
}
