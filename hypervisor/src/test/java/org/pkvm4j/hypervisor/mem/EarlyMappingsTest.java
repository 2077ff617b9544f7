package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.module.ModuleOpsTable;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/** linear_map_early (until module registration closes) and the per-CPU fixblock slot. */
class EarlyMappingsTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final long BASE_PFN = Dram.BASE / PAGE;

    private final Machine machine = new Machine(new MachineConfig(2, 1024 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final ModuleOpsTable ops = new ModuleOpsTable(new HypConsole(platform.uart()), platform, mp,
            new HostPermFaultHandlers(), va, new IllegalAbtNotifiers());

    private static Errno errno(Runnable r) {
        return assertThrows(PkvmException.class, r::run).errno();
    }

    /** Scenario: an early mapping lets EL2 read a host page it does not own, with its prot, until unmapped; registration close counts leftovers and refuses both calls. */
    @Test
    void linearMapEarlyHoldsUntilRegistrationCloses() {
        long pa = (BASE_PFN + 5) * PAGE;
        platform.memory().store64(pa, 77);
        assertEquals(Errno.EFAULT, errno(() -> ops.load64(pa)));
        assertEquals(pa, ops.linearMapEarly(pa, 2 * PAGE, Prot.R));
        assertEquals(77, ops.load64(pa));
        assertEquals(Errno.EFAULT, errno(() -> ops.store64(pa, 1)), "mapped R only");
        assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + 5), "ownership did not change");
        assertEquals(Errno.EEXIST, errno(() -> ops.linearMapEarly(pa, PAGE, Prot.R)));
        assertEquals(Errno.EINVAL, errno(() -> ops.linearMapEarly(pa + 8, PAGE, Prot.R)));
        assertEquals(Errno.EINVAL, errno(() -> ops.linearMapEarly(0x0900_0000L, PAGE, Prot.R)), "MMIO");
        ops.linearUnmapEarly(pa + PAGE, PAGE);
        assertEquals(Errno.EINVAL, errno(() -> ops.linearUnmapEarly(pa + PAGE, PAGE)));

        long[] closedWith = new long[1];
        Deprivilege d = new Deprivilege(2, () -> closedWith[0] = mp.closeModuleRegistration());
        assertEquals(0, d.protFinalize(0));
        assertEquals(PAGE, closedWith[0], "one page left mapped at deprivilege");
        d.protFinalize(1);
        assertEquals(Errno.EPERM, errno(() -> ops.linearMapEarly(pa + 2 * PAGE, PAGE, Prot.R)));
        assertEquals(Errno.EPERM, errno(() -> ops.linearUnmapEarly(pa, PAGE)));
    }

    /** Scenario: a CPU's fixblock maps the 2 MiB block holding a PA; one mapping at a time; non-memory refused. */
    @Test
    void fixblockMapsOneBlockPerCpu() {
        long pa = Dram.BASE + 3 * PAGE + 16;
        platform.memory().store64(pa, 99);
        long at = va.fixblockMap(0, pa);
        assertEquals(0, (at - (pa - Dram.BASE)) % (2L << 20), "the slot is 2 MiB aligned");
        assertEquals(99, va.load64(at));
        va.store64(at + 8, 5);
        assertEquals(5, platform.memory().load64(pa + 8));
        assertEquals(-Errno.EBUSY.code(), va.fixblockMap(0, pa));
        long other = va.fixblockMap(1, pa);
        assertEquals(99, va.load64(other), "each CPU has its own slot");
        va.fixblockUnmap(0);
        assertThrows(PkvmException.class, () -> va.load64(at));
        va.fixblockUnmap(0); // empty stays empty
        assertEquals(at, va.fixblockMap(0, pa), "the same slot again");
        assertEquals(-Errno.EINVAL.code(), va.fixblockMap(0, 0x0900_0000L));
        assertEquals(-Errno.EINVAL.code(), va.fixblockMap(1, Dram.BASE + (4L << 20)), "beyond DRAM");
    }
}
