package org.pkvm4j.hypervisor.iommu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.el2.IotlbGather;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.module.ModuleOpsTable;
import org.pkvm4j.machine.DmaAbortException;
import org.pkvm4j.machine.DmaEngine;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypMemory;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;
import org.pkvm4j.machine.Smmu;

/**
 * The EL2 IOMMU layer through the ModuleOps members an IOMMU driver uses, against the machine's
 * SMMU: pools, the host idmap domain kept in step with the host stage-2, DMA references, MMIO
 * donation, and the IOTLB gather.
 */
class KvmIommuTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final long BASE_PFN = Dram.BASE / PAGE;
    static final int SID = 4;

    private final Machine machine = new Machine(new MachineConfig(2, 128 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final HypMemory mem = platform.memory();
    private final MemProtect mp = new MemProtect(mem);
    private final List<String> console = new ArrayList<>();
    private final KvmIommu iommu = new KvmIommu(mp, mem, console::add);
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final ModuleOpsTable ops = new ModuleOpsTable(new HypConsole(platform.uart()), platform, mp,
            new HostPermFaultHandlers(), va, new IllegalAbtNotifiers(), iommu, new PkvmDevices());
    private final DmaEngine dma = machine.dmaEngine(SID);

    private static Errno errno(Runnable r) {
        return assertThrows(PkvmException.class, r::run).errno();
    }

    private static Smmu.FaultReason abort(Runnable r) {
        return assertThrows(DmaAbortException.class, r::run).fault().reason();
    }

    /** Fills the host pool with pages 100..109 and the atomic pool with 110..119. */
    private void refill() {
        long[] requested = new long[1];
        assertEquals(0, iommu.refill(BASE_PFN + 100, 10, false, requested));
        assertEquals(0, iommu.refill(BASE_PFN + 110, 10, true, requested));
    }

    /**
     * What an IOMMU driver's init does: takes the SMMU's registers (MMIO donation), registers it,
     * builds a stream table and the host idmap domain, points stream SID at it and enables the SMMU.
     */
    private void driverInit() {
        refill();
        ops.hostDonateHyp(Smmu.PA >>> Dram.PAGE_SHIFT, 1, true);
        ops.iommuInitDevice(Smmu.PA);
        long strtab = ops.iommuDonatePages(0, false);
        long root = ops.iommuDonatePages(0, false);
        ops.iommuSnapshotHostStage2(root);
        ops.store64(strtab + 8L * SID, ops.hypPa(root) | Smmu.DESC_VALID);
        mem.mmioStore(Smmu.PA + Smmu.STRTAB_BASE, 8, ops.hypPa(strtab));
        mem.mmioStore(Smmu.PA + Smmu.CR0, 8, Smmu.CR0_SMMUEN);
    }

    /** Scenario: the pools serve zeroed, aligned, hyp-owned blocks; an empty pool asks the host, whose next refill hears it. */
    @Test
    void poolsServeZeroedAlignedBlocksAndRecordRequests() {
        assertEquals(0, ops.iommuDonatePages(1, true), "empty pool");
        long[] requested = new long[1];
        assertEquals(0, iommu.refill(BASE_PFN + 8, 8, false, requested));
        assertEquals(2, requested[0], "the refill reports the two pages asked for");
        assertEquals(PageState.OWNED, mp.hypState(BASE_PFN + 8));
        mem.store64((BASE_PFN + 10) * PAGE, 0x55);
        long block = ops.iommuDonatePages(1, true);
        assertEquals(0, (block >>> Dram.PAGE_SHIFT) % 2, "order-1 blocks are 2-page aligned");
        long other = ops.iommuDonatePages(1, true);
        assertEquals(0, mem.load64(BASE_PFN * PAGE + 10 * PAGE), "handed out zeroed");
        assertNotEquals(block, other);
        assertEquals(0, ops.iommuDonatePagesAtomic(0), "the atomic pool is separate and empty");
        ops.iommuReclaimPages(block, 1);
        assertThrows(IllegalStateException.class, () -> ops.iommuReclaimPages(block, 1), "reclaimed twice: BUG");
        assertThrows(IllegalStateException.class, () -> ops.iommuReclaimPagesAtomic(other, 1), "wrong pool: BUG");
        assertEquals(Errno.EPERM, Errno.fromNegated(iommu.refill(BASE_PFN + 8, 1, true, requested)),
                "a page already EL2's cannot be donated again");
    }

    /** Scenario: a device on the idmap domain sees memory as the host does, and loses each page the host donates. */
    @Test
    void idmapDomainFollowsTheHostStage2() {
        driverInit();
        long pa = (BASE_PFN + 40) * PAGE;
        dma.write64(pa, 7);
        assertEquals(7, mem.load64(pa), "host memory: the device reaches it at IOVA = PA");
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dma.read64((BASE_PFN + 100) * PAGE)),
                "the pool's pages are EL2's: not in the domain");

        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 40, 1));
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dma.write64(pa, 8)),
                "donated to EL2: gone from the domain, IOTLB invalidated");
        assertEquals(7, mem.load64(pa));
        assertEquals(0, mp.hypDonateHost(BASE_PFN + 40, 1));
        dma.write64(pa, 9);
        assertEquals(9, mem.load64(pa), "given back: mapped again");
        assertEquals(Errno.EBUSY, errno(() -> ops.iommuSnapshotHostStage2(ops.iommuDonatePages(0, false))));
    }

    /** Scenario: with update_iommu the host's DMA view takes the new permissions; without it, the device keeps them. */
    @Test
    void modProtUpdatesTheIommuOnlyWhenAsked() {
        driverInit();
        long a = (BASE_PFN + 50) * PAGE;
        long b = (BASE_PFN + 51) * PAGE;
        ops.hostStage2ModProt(BASE_PFN + 50, Prot.R, 1, true);
        assertEquals(0, dma.read64(a));
        assertEquals(Smmu.FaultReason.PERMISSION, abort(() -> dma.write64(a, 1)));
        ops.hostStage2ModProt(BASE_PFN + 51, Prot.R, 1, false);
        dma.write64(b, 2);
        assertEquals(2, mem.load64(b), "update_iommu false: the device still writes what the CPU may not");
        ops.hostStage2ModProt(BASE_PFN + 50, Prot.RWX, 1, true);
        dma.write64(a, 3);
        assertEquals(3, mem.load64(a));
    }

    /** Scenario: a page in use for DMA cannot be donated or shared until its reference is dropped. */
    @Test
    void dmaReferencesBlockOwnershipChanges() {
        long pfn = BASE_PFN + 60;
        ops.pkvmUseDma(pfn * PAGE, 2 * PAGE);
        assertEquals(1, mp.dmaCount(pfn));
        assertEquals(Errno.EINVAL, errno(() -> ops.hostDonateHyp(pfn, 1)));
        assertEquals(Errno.EINVAL, errno(() -> ops.hostShareHyp(pfn + 1)));
        assertEquals(Errno.EINVAL, errno(() -> ops.hostStage2ModProt(pfn, Prot.R, 1)));
        ops.pkvmUnuseDma(pfn * PAGE, PAGE);
        ops.hostDonateHyp(pfn, 1);
        assertEquals(Errno.EPERM, errno(() -> ops.pkvmUseDma(pfn * PAGE, PAGE)), "EL2's page: no DMA for the host");
        assertEquals(Errno.EINVAL, errno(() -> ops.pkvmUseDma(pfn * PAGE + 8, PAGE)), "unaligned");
        ops.iommuFlushUnmapCache(new long[] {(pfn + 1) * PAGE}, new long[] {PAGE});
        assertEquals(0, mp.dmaCount(pfn + 1));
        ops.hostShareHyp(pfn + 1);
        assertThrows(IllegalStateException.class, () -> ops.pkvmUnuseDma((pfn + 2) * PAGE, PAGE), "no reference: BUG");
        ops.pkvmUnuseDma(Machine.UART_PA, PAGE); // MMIO holds no reference: nothing to drop
        assertEquals(Errno.EINVAL, errno(() -> ops.iommuFlushUnmapCache(new long[1], new long[2])));
    }

    /** Scenario: MMIO is donated only with accept_mmio; then the host cannot reprogram the SMMU and EL2 can register it once. */
    @Test
    void mmioDonationNeedsAcceptMmio() {
        long smmuPfn = Smmu.PA >>> Dram.PAGE_SHIFT;
        assertEquals(Errno.EPERM, errno(() -> ops.hostDonateHyp(smmuPfn, 1)));
        assertEquals(Errno.EPERM, errno(() -> ops.hostDonateHyp(smmuPfn, 1, false)));
        assertEquals(Errno.EPERM, errno(() -> ops.iommuInitDevice(Smmu.PA)), "the host still owns the registers");
        ops.hostDonateHyp(smmuPfn, 1, true);
        assertEquals(Errno.EPERM, errno(() -> ops.hostDonateHyp(smmuPfn, 1, true)), "EL2's already");
        assertEquals(Errno.EINVAL, errno(() -> ops.hostDonateHyp(smmuPfn, (Dram.BASE >>> Dram.PAGE_SHIFT) - smmuPfn + 1, true)),
                "a range straddling MMIO and memory");
        ops.iommuInitDevice(Smmu.PA);
        assertEquals(Errno.EBUSY, errno(() -> ops.iommuInitDevice(Smmu.PA)));
        assertEquals(Errno.EINVAL, errno(() -> ops.iommuInitDevice(Dram.BASE)));
        assertEquals(List.of(Smmu.PA), iommu.devices());
        assertTrue(mem.isMmioOwnedByHyp(smmuPfn));
    }

    /** Scenario: a read-only donation is mapped without W at EL2; the usual one is RW. */
    @Test
    void donateHypProtMapsWithTheGivenPermissions() {
        long pfn = BASE_PFN + 70;
        ops.hostDonateHypProt(pfn, 1, false, Prot.R);
        assertEquals(0, ops.load64(pfn * PAGE));
        assertEquals(Errno.EFAULT, errno(() -> ops.store64(pfn * PAGE, 1)));
        assertEquals(Errno.EFAULT, errno(() -> ops.memset(pfn * PAGE, 0, 8)));
        assertEquals(Errno.EINVAL, errno(() -> ops.hostDonateHypProt(pfn + 1, 1, false, Prot.W | Prot.X | Prot.R)));
        ops.hypDonateHost(pfn, 1);
        ops.hostDonateHypProt(pfn, 1, false, Prot.RW);
        ops.store64(pfn * PAGE, 5);
        assertEquals(5, ops.load64(pfn * PAGE), "given back and donated again RW: the read-only mark is gone");
    }

    /** Scenario: an sglist donation is all or nothing: an entry that fails gives the ones before it back. */
    @Test
    void sglistDonationIsAllOrNothing() {
        long a = BASE_PFN + 80;
        long b = BASE_PFN + 84;
        ops.hostDonateHyp(b + 1, 1); // makes the second entry's range fail
        assertEquals(Errno.EPERM, errno(() -> ops.hostDonateSglistHyp(new long[] {a | 1L << 40, b | 1L << 40})));
        assertEquals(PageState.OWNED, mp.hostState(a), "the first entry was given back");
        assertEquals(PageState.NOPAGE, mp.hypState(a + 1));
        assertEquals(Errno.EPERM, errno(() -> ops.hostDonateSglistHyp(new long[] {a, a})), "a page listed twice");
        assertEquals(PageState.OWNED, mp.hostState(a));
        assertEquals(Errno.EINVAL, errno(() -> ops.hostDonateSglistHyp(new long[] {a | 10L << 40})), "order above 9");
        ops.hostDonateSglistHyp(new long[] {a | 1L << 40, b + 2});
        assertEquals(PageState.OWNED, mp.hypState(a));
        assertEquals(PageState.OWNED, mp.hypState(a + 1));
        assertEquals(PageState.OWNED, mp.hypState(b + 2));
        assertEquals(Errno.EINVAL, errno(() -> ops.hostDonateSglistHyp(null)));
    }

    /** Scenario: pages join a gather while contiguous and of one size; anything else syncs what was gathered first. */
    @Test
    void iotlbGatherSyncsWhenAPageCannotJoin() {
        List<IotlbGather> synced = new ArrayList<>();
        IotlbGather g = IotlbGather.empty();
        assertTrue(g.isEmpty());
        g = ops.iommuIotlbGatherAddPage(synced::add, g, 0x1000, PAGE);
        g = ops.iommuIotlbGatherAddPage(synced::add, g, 0x2000, PAGE);
        g = ops.iommuIotlbGatherAddPage(synced::add, g, 0x0000, PAGE);
        assertEquals(new IotlbGather(0, 0x2fff, PAGE), g);
        assertEquals(List.of(), synced);
        g = ops.iommuIotlbGatherAddPage(synced::add, g, 0x9000, PAGE);
        assertEquals(List.of(new IotlbGather(0, 0x2fff, PAGE)), synced, "disjoint: the range was synced");
        assertEquals(new IotlbGather(0x9000, 0x9fff, PAGE), g);
        g = ops.iommuIotlbGatherAddPage(synced::add, g, 0xa000, 2 * PAGE);
        assertEquals(2, synced.size(), "another page size: synced");
        assertEquals(new IotlbGather(0xa000, 0xbfff, 2 * PAGE), g);
    }

    /** Scenario: map_module_pages maps (and takes) every page or none; unmap_module_pages gives them back. */
    @Test
    void moduleMultiPageMappings() {
        long at = ops.allocModuleVa(4);
        long pfn = BASE_PFN + 90;
        ops.hostDonateHyp(pfn + 2, 1);
        assertEquals(Errno.EPERM, errno(() -> ops.mapModulePages(pfn, at, 3, Prot.RW, false)));
        assertEquals(PageState.OWNED, mp.hostState(pfn), "the pages before the failing one were given back");
        assertEquals(Errno.EFAULT, errno(() -> ops.load64(at)));
        ops.mapModulePages(pfn + 3, at, 2, Prot.RW, false);
        ops.store64(at + PAGE, 6);
        assertEquals(6, mem.load64((pfn + 4) * PAGE));
        assertEquals(Errno.EINVAL, errno(() -> ops.unmapModulePages(pfn, at, 2)), "not mapped from that pfn");
        ops.unmapModulePages(pfn + 3, at, 2);
        assertEquals(PageState.OWNED, mp.hostState(pfn + 4));
        assertEquals(Errno.EINVAL, errno(() -> ops.mapModulePages(pfn, at, 0, Prot.RW, false)));
        assertEquals(0x1234, ops.kernHypVa(0x1234));
    }
}
