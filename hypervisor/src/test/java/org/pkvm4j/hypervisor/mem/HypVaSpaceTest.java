package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.el2.HostStage2Leaf;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.module.ModuleOpsTable;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/**
 * The hyp VA space behind the ModuleOps members: the fixmap, private mappings (memory and the UART's
 * MMIO), the module window and its page mappings, host stage-2 leaves, and the permission checks of
 * EL2 accesses.
 */
class HypVaSpaceTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final long BASE_PFN = Dram.BASE / PAGE;

    private final Machine machine = new Machine(new MachineConfig(2, 64 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final IllegalAbtNotifiers notifiers = new IllegalAbtNotifiers();
    private final ModuleOpsTable ops = new ModuleOpsTable(new HypConsole(platform.uart()), platform, mp,
            new HostPermFaultHandlers(), va, notifiers);
    private final HostMemory host = machine.hostMemory();

    private static Errno errno(Runnable r) {
        return assertThrows(PkvmException.class, r::run).errno();
    }

    private void onCpu(int id, Runnable r) {
        Cpu cpu = machine.getCpu(id);
        try {
            r.run();
        } finally {
            machine.putCpu(cpu);
        }
    }

    /** Scenario: fixmap a host page, read and write it at EL2; a second map is EBUSY; after unmap every access is EFAULT. */
    @Test
    void fixmapMapsOnePagePerCpuUntilUnmapped() {
        long pa = (BASE_PFN + 3) * PAGE;
        host.store64(pa + 16, 0x1234);
        onCpu(0, () -> {
            long at = ops.fixmapMap(pa + 16);
            assertEquals(va.fixmapSlot(0) + 16, at, "the VA keeps the page offset");
            assertTrue(at >= HypVaSpace.PRIVATE_VA_BASE);
            assertEquals(0x1234, ops.load64(at));
            ops.store64(at + 8, 0x5678);
            assertEquals(Errno.EBUSY, errno(() -> ops.fixmapMap(pa)));
            ops.fixmapUnmap();
            assertEquals(Errno.EFAULT, errno(() -> ops.load64(at)));
            assertEquals(Errno.EFAULT, errno(() -> ops.store64(at, 1)));
            assertEquals(Errno.EFAULT, errno(() -> ops.memset(at, 0, 8)));
            ops.fixmapUnmap(); // an empty slot stays empty
        });
        assertEquals(0x5678, host.load64(pa + 24), "EL2 wrote the host's page through the fixmap");
        assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + 3), "the fixmap does not change ownership");
        onCpu(0, () -> ops.fixmapMap(pa));
        onCpu(1, () -> {
            long other = ops.fixmapMap((BASE_PFN + 4) * PAGE);
            assertEquals(va.fixmapSlot(1), other, "CPU 1 has a slot of its own");
            ops.fixmapUnmap();
        });
        onCpu(0, () -> assertEquals(Errno.EBUSY, errno(() -> ops.fixmapMap(pa)), "CPU 0's slot is still mapped"));
        onCpu(0, () -> assertEquals(Errno.EINVAL, errno(() -> ops.fixmapMap(1L << Dram.PA_BITS))));
    }

    /** Scenario: memcpy between the linear map and a fixmap slot, both ways, then between two private mappings. */
    @Test
    void memcpyCrossesTheLinearMapAndPrivateMappings() {
        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 5, 1));
        long owned = (BASE_PFN + 5) * PAGE;
        ops.memset(owned, 0xAB, PAGE);
        long src = (BASE_PFN + 6) * PAGE;
        host.store64(src, 0x0102_0304_0506_0708L);
        onCpu(0, () -> {
            long at = ops.fixmapMap(src);
            ops.memcpy(owned, at, 8);
            ops.memcpy(at + 8, owned + 8, 8);
            ops.fixmapUnmap();
        });
        assertEquals(0x0102_0304_0506_0708L, ops.load64(owned));
        assertEquals(0xABABABABABABABABL, host.load64(src + 8));
        long ro = ops.createPrivateMapping(src, PAGE, Prot.R);
        long rw = ops.createPrivateMapping(src, 16, Prot.RW);
        ops.memcpy(rw + 8, ro, 8);
        assertEquals(0x0102_0304_0506_0708L, host.load64(src + 8));
    }

    /**
     * Scenario: a private mapping of a read-only range refuses stores (EFAULT, nothing written) but
     * serves loads; the host's permissions are unchanged; a memcpy into it is refused before any byte.
     */
    @Test
    void aReadOnlyPrivateMappingRefusesStores() {
        long pa = (BASE_PFN + 7) * PAGE;
        host.store64(pa, 99);
        long at = ops.createPrivateMapping(pa + 8, 8, Prot.R);
        assertEquals(pa + 8 - (pa & -PAGE) + (at & -PAGE), at);
        assertEquals(99, ops.load64(at - 8));
        PkvmException e = assertThrows(PkvmException.class, () -> ops.store64(at - 8, 1));
        assertEquals(Errno.EFAULT, e.errno());
        assertTrue(e.getMessage().contains("write to a R-- mapping"), e.getMessage());
        assertEquals(Errno.EFAULT, errno(() -> ops.store8(at, (byte) 1)));
        assertEquals(Errno.EFAULT, errno(() -> ops.memcpy(at, at - 8, 8)));
        assertEquals(99, host.load64(pa), "nothing was written");
        host.store64(pa, 100);
        assertEquals(100, ops.load64(at - 8), "the host still writes its page and EL2 sees it");
        assertEquals(Prot.R, va.hypProt(at));
        assertEquals(0, va.hypProt(at + PAGE), "one page, nothing after it");
    }

    /** Scenario: the UART's data register, mapped privately as device memory: an EL2 store8 transmits. */
    @Test
    void aPrivateMappingOfTheUartTransmits() {
        List<String> lines = new ArrayList<>();
        machine.uart().attach(lines::add);
        long uart = ops.createPrivateMapping(Machine.UART_PA, 0x1000, Prot.RW);
        for (char c : "hi\n".toCharArray()) {
            ops.store8(uart, (byte) c);
        }
        assertEquals(List.of("hi"), lines);
        assertEquals(0x90, ops.load8(uart + 0x18) & 0xFF, "UARTFR: transmit and receive FIFOs empty");
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(Machine.UART_PA, PAGE, Prot.RX)), "device memory is never executable");
    }

    /** Scenario: the checks of create_private_mapping; each refusal takes no VA. */
    @Test
    void createPrivateMappingChecksBeforeTakingVa() {
        long pa = (BASE_PFN + 8) * PAGE;
        long first = ops.createPrivateMapping(pa, PAGE, Prot.R);
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(pa, 0, Prot.R)), "empty");
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(pa, PAGE, Prot.W)), "no R");
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(pa, PAGE, Prot.RWX)), "W and X");
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(pa, PAGE, 8)), "beyond RWX");
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(Dram.BASE - PAGE, 2 * PAGE, Prot.R)), "straddles MMIO and memory");
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(-PAGE, PAGE, Prot.R)), "negative PA");
        assertEquals(Errno.EINVAL, errno(() -> ops.createPrivateMapping(pa, Long.MAX_VALUE, Prot.R)), "overflow");
        assertEquals(Errno.ENOMEM, errno(() -> ops.createPrivateMapping(1L << 46, 1L << 47, Prot.R)),
                "more device memory than the private range holds");
        assertEquals(first + PAGE, ops.createPrivateMapping(pa, PAGE, Prot.RX), "no VA was consumed by the refusals");
    }

    /**
     * Scenario: alloc_module_va until the window is exhausted (ENOMEM), map_module_page donates an
     * unprotected page and records its permissions; a failed mapping gives the page back.
     */
    @Test
    void theModuleWindowAndItsPages() {
        long a = ops.allocModuleVa(2);
        assertEquals(HypVaSpace.PRIVATE_VA_BASE, a);
        ops.mapModulePage(BASE_PFN + 9, a, Prot.RX, false);
        assertEquals(PageState.NOPAGE, mp.hostState(BASE_PFN + 9), "donated host->hyp");
        assertEquals(PageState.OWNED, mp.hypState(BASE_PFN + 9));
        assertEquals(Prot.RX, va.hypProt(a));
        assertEquals(Errno.EFAULT, errno(() -> ops.store64(a, 1)), "text is not writable");
        ops.store64((BASE_PFN + 9) * PAGE, 5);
        assertEquals(5, ops.load64(a), "the module VA and the linear alias are the same page");

        assertEquals(Errno.EEXIST, errno(() -> ops.mapModulePage(BASE_PFN + 10, a, Prot.R, false)));
        assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + 10), "a failed mapping gave the page back");
        assertEquals(Errno.EINVAL, errno(() -> ops.mapModulePage(BASE_PFN + 10, a + 2 * PAGE, Prot.R, false)), "not reserved");
        assertEquals(Errno.EINVAL, errno(() -> ops.mapModulePage(BASE_PFN + 10, a + PAGE, Prot.RWX, false)), "W and X");
        assertEquals(Errno.EPERM, errno(() -> ops.mapModulePage(BASE_PFN + 10, a + PAGE, Prot.R, true)), "protected, but the host's");
        assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + 10));
        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 10, 1));
        ops.mapModulePage(BASE_PFN + 10, a + PAGE, Prot.RW, true);
        assertEquals(Prot.RW, va.hypProt(a + PAGE));
        ops.store64(a + PAGE, 6);

        assertEquals(Errno.EINVAL, errno(() -> ops.allocModuleVa(0)));
        long rest = HypVaSpace.MODULE_VA_SIZE / PAGE - 2;
        assertEquals(a + 2 * PAGE, ops.allocModuleVa(rest));
        assertEquals(Errno.ENOMEM, errno(() -> ops.allocModuleVa(1)), "the window is exhausted");

        assertEquals(0, va.unmapModulePage(a, false));
        assertEquals(PageState.OWNED, mp.hostState(BASE_PFN + 9), "unmapping gave the page back");
        assertEquals(Errno.EFAULT, errno(() -> ops.load64(a)));
    }

    /** Scenario: host_stage2_get_leaf of an owned, a restricted, a donated and an MMIO page, and out of range. */
    @Test
    void hostStage2GetLeafDecodesTheEntry() {
        long pfn = BASE_PFN + 11;
        assertEquals(new HostStage2Leaf(pfn * PAGE, 3, true, Prot.RWX, HostStage2Leaf.OWNER_HOST, HostStage2Leaf.PAGE_OWNED),
                ops.hostStage2GetLeaf(pfn * PAGE + 5));
        assertEquals(0, mp.hostStage2ModProt(pfn, Prot.R, 1));
        assertEquals(Prot.R, ops.hostStage2GetLeaf(pfn * PAGE).prot());
        assertEquals(0, mp.hostDonateHyp(pfn + 1, 1));
        assertEquals(new HostStage2Leaf((pfn + 1) * PAGE, 3, false, 0, HostStage2Leaf.OWNER_HYP, HostStage2Leaf.PAGE_NOPAGE),
                ops.hostStage2GetLeaf((pfn + 1) * PAGE));
        assertEquals(0, mp.hostShareHyp(pfn + 2));
        assertEquals(HostStage2Leaf.PAGE_SHARED_OWNED, ops.hostStage2GetLeaf((pfn + 2) * PAGE).state());
        assertEquals(new HostStage2Leaf(Machine.UART_PA, 3, true, Prot.RW, HostStage2Leaf.OWNER_HOST, HostStage2Leaf.PAGE_OWNED),
                ops.hostStage2GetLeaf(Machine.UART_PA));
        assertEquals(Errno.ERANGE, errno(() -> ops.hostStage2GetLeaf(1L << Dram.PA_BITS)));
        assertEquals(Errno.ERANGE, errno(() -> ops.hostStage2GetLeaf(-1)));
    }

    /** Scenario: one notifier slot: the second registration is EBUSY; the registered one sees the registers. */
    @Test
    void oneIllegalAbortNotifier() {
        long[] seen = new long[1];
        ops.registerIllegalAbtNotifier(regs -> seen[0] = regs.get(0) + 1);
        assertEquals(Errno.EBUSY, errno(() -> ops.registerIllegalAbtNotifier(regs -> { })));
        assertEquals(Errno.EINVAL, errno(() -> new IllegalAbtNotifiers().register(null)));
        onCpu(0, () -> {
            machine.cpus().get(0).regs().set(0, 41);
            notifiers.beforeInjection(machine.cpus().get(0).regs());
        });
        assertArrayEquals(new long[] {42}, seen);
        assertFalse(va.hypProt(HypVaSpace.PRIVATE_VA_END - PAGE) != 0);
    }
}
