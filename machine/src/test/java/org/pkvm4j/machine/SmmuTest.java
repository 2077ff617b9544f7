package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The SMMU as hardware: EL2 writes its stream table and page tables into DRAM and programs its
 * registers; every DMA access walks them (or hits the IOTLB) and an aborted one is recorded.
 */
class SmmuTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final long BASE = Dram.BASE;

    private final Machine machine = new Machine(new MachineConfig(1, 64 * PAGE));
    private final HypMemory mem = machine.takeHypPlatform().memory();
    // Tables in the first pages of DRAM: stream table, L1, L2, L3.
    private final long strtab = BASE;
    private final long l1 = BASE + PAGE;
    private final long l2 = BASE + 2 * PAGE;
    private final long l3 = BASE + 3 * PAGE;

    /** Maps IOVA {@code iova} of stream {@code sid} to {@code pa} with {@code bits} (PTE_R / PTE_W). */
    private void map(int sid, long iova, long pa, long bits) {
        mem.store64(strtab + 8L * sid, l1 | Smmu.DESC_VALID);
        mem.store64(l1 + 8 * ((iova >>> 30) & 511), l2 | Smmu.DESC_VALID);
        mem.store64(l2 + 8 * ((iova >>> 21) & 511), l3 | Smmu.DESC_VALID);
        mem.store64(l3 + 8 * ((iova >>> 12) & 511), pa | Smmu.DESC_VALID | bits);
    }

    private void enable() {
        mem.mmioStore(Smmu.PA + Smmu.STRTAB_BASE, 8, strtab);
        mem.mmioStore(Smmu.PA + Smmu.CR0, 8, Smmu.CR0_SMMUEN);
    }

    private Smmu.FaultReason abort(Runnable dma) {
        return assertThrows(DmaAbortException.class, dma::run).fault().reason();
    }

    /** Scenario: at reset the SMMU is off and aborts everything, so no device does DMA before EL2 sets it up. */
    @Test
    void disabledSmmuAbortsEveryTransaction() {
        DmaEngine dma = machine.dmaEngine(3);
        assertEquals(Smmu.FaultReason.DISABLED, abort(() -> dma.write64(0x1000, 1)));
        assertEquals(1, machine.smmu().faultCount());
        assertEquals(new Smmu.Fault(3, 0x1000, true, Smmu.FaultReason.DISABLED), machine.smmu().faults().getFirst());
        assertEquals(1, mem.mmioLoad(Smmu.PA + Smmu.EVTQ_COUNT, 8), "EVTQ_COUNT reads the count");
    }

    /** Scenario: a mapped IOVA reaches its PA with the leaf's permissions; other streams and IOVAs abort. */
    @Test
    void translationFollowsTheTablesInDram() {
        long page = BASE + 10 * PAGE;
        map(5, 0x4000_0000L, page, Smmu.PTE_R | Smmu.PTE_W);
        enable();
        DmaEngine dma = machine.dmaEngine(5);
        dma.write64(0x4000_0008L, 0x1234);
        assertEquals(0x1234, mem.load64(page + 8), "the device wrote DRAM at the mapped PA");
        assertEquals(0x1234, dma.read64(0x4000_0008L));
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dma.read64(0x4000_1000L)));
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dma.read64(1L << 40)));
        assertEquals(Smmu.FaultReason.BAD_STE, abort(() -> machine.dmaEngine(6).read64(0x4000_0000L)));
        assertThrows(IllegalArgumentException.class, () -> machine.dmaEngine(Smmu.NR_STREAMS));
    }

    /** Scenario: a read-only leaf refuses writes, and a leaf naming MMIO is an address fault. */
    @Test
    void permissionsAndOutputAddressesAreChecked() {
        map(1, 0, BASE + 9 * PAGE, Smmu.PTE_R);
        enable();
        DmaEngine dma = machine.dmaEngine(1);
        assertEquals(0, dma.read64(0));
        assertEquals(Smmu.FaultReason.PERMISSION, abort(() -> dma.write64(0, 7)));
        assertEquals(0, mem.load64(BASE + 9 * PAGE), "the refused write wrote nothing");
        mem.store64(l3, Machine.UART_PA | Smmu.DESC_VALID | Smmu.PTE_R);
        mem.mmioStore(Smmu.PA + Smmu.CMD_TLBI, 8, 1);
        assertEquals(Smmu.FaultReason.ADDRESS, abort(() -> dma.read64(0)));
    }

    /** Scenario: the IOTLB keeps a translation after its leaf is cleared until EL2 invalidates it. */
    @Test
    void iotlbHoldsAStaleTranslationUntilInvalidated() {
        long page = BASE + 12 * PAGE;
        map(2, 0, page, Smmu.PTE_R | Smmu.PTE_W);
        enable();
        DmaEngine dma = machine.dmaEngine(2);
        dma.write64(0, 1); // cached
        mem.store64(l3, 0); // unmapped in DRAM only
        dma.write64(8, 2);
        assertEquals(2, mem.load64(page + 8), "the stale IOTLB entry still let the device in");
        mem.mmioStore(Smmu.PA + Smmu.CMD_TLBI, 8, 7); // another stream's: no effect on stream 2
        dma.write64(16, 3);
        mem.mmioStore(Smmu.PA + Smmu.CMD_TLBI, 8, 2);
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dma.write64(24, 4)));
        assertEquals(0, mem.load64(page + 24));
    }

    /** Scenario: copy stops at the first aborted access; what it moved before stays moved. */
    @Test
    void copyStopsAtTheFirstAbort() {
        long page = BASE + 20 * PAGE;
        map(0, 0, page, Smmu.PTE_R | Smmu.PTE_W);
        enable();
        DmaEngine dma = machine.dmaEngine(0);
        dma.write64(0, 11);
        dma.write64(8, 22);
        dma.copy(0, 0x100, 16);
        assertEquals(22, mem.load64(page + 0x108));
        DmaAbortException e = assertThrows(DmaAbortException.class, () -> dma.copy(0, PAGE - 8, 16));
        assertEquals(PAGE, e.fault().iova());
        assertEquals(11, mem.load64(page + PAGE - 8), "the first 8 bytes were copied");
        assertThrows(IllegalArgumentException.class, () -> dma.copy(0, 8, 12));
    }

    /** Scenario: an MMIO page the hypervisor owns faults the host, naming owner HYP; the rest of MMIO does not. */
    @Test
    void hostAccessToHypOwnedMmioFaults() {
        HostMemory host = machine.hostMemory();
        assertTrue(host.isAccessible(Smmu.PA));
        host.store64(Smmu.PA + Smmu.CR0, 1);
        assertEquals(1, mem.mmioLoad(Smmu.PA + Smmu.CR0, 8), "before the donation the host programs the SMMU");
        mem.setMmioOwnedByHyp(Smmu.PA >>> Dram.PAGE_SHIFT, true);
        assertFalse(host.isAccessible(Smmu.PA));
        Stage2Fault f = assertThrows(Stage2Fault.class, () -> host.store64(Smmu.PA + Smmu.CR0, 0));
        assertEquals(OwnerId.HYP, f.owner());
        assertThrows(Stage2Fault.class, () -> host.load64(Smmu.PA + Smmu.STRTAB_BASE));
        assertEquals(1, mem.mmioLoad(Smmu.PA + Smmu.CR0, 8), "the refused store changed nothing");
        assertEquals(0x90, host.load64(Machine.UART_PA + 0x18) & 0xFF, "the UART stays the host's");
        assertThrows(IllegalArgumentException.class, () -> mem.setMmioOwnedByHyp(BASE >>> Dram.PAGE_SHIFT, true));
    }
}
