package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.ModuleRam;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;

/**
 * An EL2 module uses the memory members of {@code ModuleOps} and the host sees their effect: a page
 * donated to EL2 is gone from the host, a page given back is the host's again, a write-protected
 * page faults on write into the module's permission-fault handler. Fixture {@code mem-owner}.
 */
class ModuleMemoryIT {
    private static final long SECRET = 0x5EC2E7_C0FFEEL;
    private static final int DONATE = 1;
    private static final int EL2_READ = 2;
    private static final int GIVE_BACK = 3;
    private static final int WRITE_PROTECT = 4;
    private static final int UNPROTECT = 5;
    private static final int FAULTS = 6;
    private static final int CLEAR_AND_GIVE_BACK = 7;

    /** A DRAM page nothing else uses: 16 MiB into DRAM. */
    private static final long PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final long PA = PFN << Dram.PAGE_SHIFT;

    private static HostKernel boot() {
        var initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "mem-owner");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + name + " mem=64M", initramfs);
        assertTrue(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().toString());
        return kernel;
    }

    /**
     * Scenario: the host writes a page, EL2 takes it with host_donate_hyp and writes a secret: a host
     * load and a host store fault naming owner HYP, EL2 reads its secret; hyp_donate_host gives the
     * page back unchanged (pKVM clears only guest-private pages it reclaims), so the host reads the
     * secret; a module that clears first (memset) leaves zeroes.
     */
    @Test
    void aDonatedPageIsGoneFromTheHostUntilGivenBack() {
        HostKernel kernel = boot();
        HostMemory host = kernel.machine().hostMemory();
        host.store64(PA + 8, 42);

        assertEquals(0, kernel.ioctl("mem_owner", DONATE, PFN));
        Stage2Fault load = assertThrows(Stage2Fault.class, () -> host.load64(PA));
        assertEquals(OwnerId.HYP, load.owner());
        assertEquals(PA, load.pa());
        assertFalse(load.write());
        Stage2Fault store = assertThrows(Stage2Fault.class, () -> host.store64(PA + 8, 1));
        assertEquals(OwnerId.HYP, store.owner());
        assertTrue(store.write());
        assertFalse(host.isAccessible(PA));
        assertEquals(SECRET, kernel.ioctl("mem_owner", EL2_READ, PFN), "EL2 reads what it wrote");
        assertEquals(Errno.EPERM.negated(), kernel.ioctl("mem_owner", DONATE, PFN), "donating twice");

        assertEquals(0, kernel.ioctl("mem_owner", GIVE_BACK, PFN));
        assertTrue(host.isAccessible(PA));
        assertEquals(SECRET, host.load64(PA), "hyp_donate_host does not clear the page");
        assertEquals(42, host.load64(PA + 8), "the host's own data survived the round trip");
        assertEquals(Errno.EFAULT.negated(), kernel.ioctl("mem_owner", EL2_READ, PFN), "EL2 no longer maps it");
        assertEquals(Errno.EPERM.negated(), kernel.ioctl("mem_owner", GIVE_BACK, PFN), "giving back twice");

        assertEquals(0, kernel.ioctl("mem_owner", DONATE, PFN));
        assertEquals(0, kernel.ioctl("mem_owner", CLEAR_AND_GIVE_BACK, PFN));
        assertEquals(0, host.load64(PA));
        assertEquals(0, host.load64(PA + 8));
    }

    /**
     * Scenario: EL2 write-protects a host page (host_stage2_mod_prot, R only) and its registered
     * permission-fault handler counts and claims the faults: a host store traps to EL2 and reaches the
     * handler (the count, read through an HVC, goes up) and is not performed; a host load still works;
     * a write-protected page can no longer be donated (EPERM); restoring RWX makes stores work again.
     */
    @Test
    void aWriteProtectedPageFaultsIntoTheModulesHandler() {
        HostKernel kernel = boot();
        HostMemory host = kernel.machine().hostMemory();
        host.store64(PA, 7);

        assertEquals(0, kernel.ioctl("mem_owner", WRITE_PROTECT, PFN));
        assertEquals(0, kernel.ioctl("mem_owner", FAULTS, 0));
        host.store64(PA, 8);
        assertEquals(1, kernel.ioctl("mem_owner", FAULTS, 0), "the store reached the handler");
        assertEquals(7, host.load64(PA), "a load works; the claimed store was not performed");
        host.store8(PA + 1, (byte) 1);
        assertEquals(2, kernel.ioctl("mem_owner", FAULTS, 0));
        assertEquals(7, host.load64(PA));
        assertEquals(2, kernel.ioctl("mem_owner", FAULTS, 0), "loads do not fault");
        assertEquals(Errno.EPERM.negated(), kernel.ioctl("mem_owner", DONATE, PFN), "a module-owned page cannot be donated");

        assertEquals(0, kernel.ioctl("mem_owner", UNPROTECT, PFN));
        host.store64(PA, 9);
        assertEquals(9, host.load64(PA));
        assertEquals(2, kernel.ioctl("mem_owner", FAULTS, 0), "no fault once RWX again");
        assertEquals(0, kernel.ioctl("mem_owner", DONATE, PFN), "pristine again");
        assertEquals(0, kernel.ioctl("mem_owner", GIVE_BACK, PFN));
    }

    /**
     * Scenario: pkvm_driver loads and el2-init-fails' EL2 init fails: the loaded module's image pages
     * were donated to EL2 (a host load faults naming owner HYP), the failed module's were donated
     * back (every other page of the module area is the host's), and the area holds one range.
     */
    @Test
    void loadingDonatesTheImagePagesAndAFailedLoadGivesThemBack() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        String failing = Devices.addFixture(initramfs, "el2-init-fails");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + failing, initramfs);
        assertEquals(failing, ((SecurityState.Insecure) kernel.securityState()).module());
        HostMemory host = kernel.machine().hostMemory();
        ModuleRam ram = kernel.machine().moduleRam();

        Map<Long, Long> used = ram.allocations();
        assertEquals(1, used.size(), "only the loaded module's image keeps pages: " + used);
        long driverPa = used.keySet().iterator().next();
        long driverPages = used.get(driverPa);
        assertTrue(driverPa >= Dram.BASE && driverPa + driverPages * 4096 <= ram.end(), "real DRAM pages");
        int hyp = 0;
        int hostPages = 0;
        for (long pa = ram.floor(); pa < ram.end(); pa += 4096) {
            boolean driver = pa >= driverPa && pa < driverPa + driverPages * 4096;
            assertEquals(!driver, host.isAccessible(pa), "page 0x" + Long.toHexString(pa));
            if (driver) {
                long at = pa;
                assertEquals(OwnerId.HYP, assertThrows(Stage2Fault.class, () -> host.load64(at)).owner());
                hyp++;
            } else if (pa >= driverPa - 16 * 4096) {
                host.store64(pa, pa); // the pages the failed load used (just below) are writable again
                hostPages++;
            }
        }
        assertEquals(driverPages, hyp);
        assertTrue(hostPages > 0);
        assertEquals(1, kernel.ioctl("pkvm_driver", 0, 0), "the loaded module still works");
    }
}
