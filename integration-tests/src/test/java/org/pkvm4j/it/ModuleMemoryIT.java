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
    private static final int FIXMAP_RW = 8;
    private static final int FIXMAP_TWICE = 9;
    private static final int FIXMAP_STALE = 10;
    private static final int PRIVATE_RO_STORE = 11;
    private static final int GET_LEAF = 12;
    private static final int ABORTS = 13;
    private static final int STORE_VA = 14;
    private static final int LOAD_VA = 15;
    private static final int MAP_MODULE_PAGE = 16;

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

    /**
     * Scenario: EL2 reads and writes a host page through its CPU's fixmap slot (the host sees the
     * write, keeps the page); a second map without unmapping is EBUSY; the VA faults after unmapping;
     * a read-only private mapping of the page refuses a store (EFAULT) and the host's page is unchanged.
     */
    @Test
    void theFixmapAndPrivateMappingsReachHostPagesWithTheirPermissions() {
        HostKernel kernel = boot();
        HostMemory host = kernel.machine().hostMemory();
        host.store64(PA, 1234);
        assertEquals(1234, kernel.ioctl("mem_owner", FIXMAP_RW, PFN));
        assertEquals(SECRET, host.load64(PA + 8), "EL2 wrote the page through the fixmap");
        assertTrue(host.isAccessible(PA), "the fixmap does not take the page from the host");
        assertEquals(Errno.EBUSY.negated(), kernel.ioctl("mem_owner", FIXMAP_TWICE, PFN));
        assertEquals(Errno.EFAULT.negated(), kernel.ioctl("mem_owner", FIXMAP_STALE, PFN));
        assertEquals(1234, kernel.ioctl("mem_owner", FIXMAP_RW, PFN), "the slot is free again");

        assertEquals(Errno.EFAULT.negated(), kernel.ioctl("mem_owner", PRIVATE_RO_STORE, PFN));
        assertEquals(1234, host.load64(PA), "the refused store wrote nothing");
        host.store64(PA, 5);
        assertEquals(5, host.load64(PA), "host permissions unchanged");
    }

    /**
     * Scenario: host_stage2_get_leaf at EL2 sees a host page (valid, RWX, host OWNED), the same page
     * donated (invalid, owner HYP, NOPAGE) and write-protected (valid, R); the illegal-abort notifier
     * counts each abort injected into the host, and a claimed permission fault is not one.
     */
    @Test
    void hostStage2LeavesAndTheIllegalAbortNotifier() {
        HostKernel kernel = boot();
        HostMemory host = kernel.machine().hostMemory();
        assertEquals(1 | 7 << 1 | 0 << 4 | 0 << 8 | 3 << 12, kernel.ioctl("mem_owner", GET_LEAF, PA + 123));
        assertEquals(0, kernel.ioctl("mem_owner", DONATE, PFN));
        assertEquals(0 | 0 << 1 | 1 << 4 | 3 << 8 | 3 << 12, kernel.ioctl("mem_owner", GET_LEAF, PA));
        assertEquals(0, kernel.ioctl("mem_owner", ABORTS, 0));
        assertThrows(Stage2Fault.class, () -> host.load64(PA));
        assertThrows(Stage2Fault.class, () -> host.store64(PA, 1));
        assertEquals(2, kernel.ioctl("mem_owner", ABORTS, 0), "notified before each injected abort");
        assertEquals(0, kernel.ioctl("mem_owner", GIVE_BACK, PFN));
        assertEquals(0, kernel.ioctl("mem_owner", WRITE_PROTECT, PFN));
        assertEquals(1 | 4 << 1 | 3 << 12, kernel.ioctl("mem_owner", GET_LEAF, PA));
        host.store64(PA, 1);
        assertEquals(2, kernel.ioctl("mem_owner", ABORTS, 0), "the handler claimed the fault: no abort");
        assertEquals(Errno.ERANGE.negated(), kernel.ioctl("mem_owner", GET_LEAF, 1L << 48));
    }

    /**
     * Scenario: the loaded module's own pages, through its token's VA: text and rodata come first and
     * refuse EL2 stores (EFAULT), data comes last and takes them, every page loads, and the page after
     * the image is not mapped. map_module_page of a host page donates it (the host faults, owner HYP).
     */
    @Test
    void theModulesPagesHaveTheirSectionsPermissions() {
        HostKernel kernel = boot();
        long token = kernel.lsmod().stream().filter(m -> m.name().equals("mem_owner")).findFirst().orElseThrow()
                .token().orElseThrow().hypVa();
        Map<Long, Long> used = kernel.machine().moduleRam().allocations();
        assertEquals(1, used.size());
        long pages = used.values().iterator().next();
        int readOnly = 0;
        int writable = 0;
        for (long i = 0; i < pages; i++) {
            long va = token + i * 4096;
            long stored = kernel.ioctl("mem_owner", STORE_VA, va);
            if (stored == 0) {
                writable++;
                assertEquals(SECRET, kernel.ioctl("mem_owner", LOAD_VA, va));
            } else {
                assertEquals(Errno.EFAULT.negated(), stored, "page " + i);
                assertEquals(0, writable, "read-only page " + i + " after a writable one: data must come last");
                readOnly++;
                assertTrue(kernel.ioctl("mem_owner", LOAD_VA, va) != Errno.EFAULT.negated(), "page " + i + " loads");
            }
        }
        assertTrue(readOnly >= 1, "text");
        assertTrue(writable >= 1, "data: the module has static fields");
        assertEquals(Errno.EFAULT.negated(), kernel.ioctl("mem_owner", LOAD_VA, token + pages * 4096));

        long va = kernel.ioctl("mem_owner", MAP_MODULE_PAGE, PFN);
        assertTrue(va >= token + pages * 4096, "fresh module VA: 0x" + Long.toHexString(va));
        HostMemory host = kernel.machine().hostMemory();
        assertEquals(OwnerId.HYP, assertThrows(Stage2Fault.class, () -> host.load64(PA)).owner());
        assertEquals(SECRET, kernel.ioctl("mem_owner", LOAD_VA, va));
        assertEquals(SECRET, kernel.ioctl("mem_owner", EL2_READ, PFN), "the linear alias is the same page");
        assertEquals(Errno.EPERM.negated(), kernel.ioctl("mem_owner", MAP_MODULE_PAGE, PFN), "already EL2's");
    }
}
