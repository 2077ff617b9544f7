package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DRAM committed lazily, and the host's loads and stores checked against the host stage-2. */
class HostMemoryTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;

    @Test
    void sixtyFourGigabytesCostOnlyWhatIsTouched() {
        Machine machine = new Machine(new MachineConfig(1, 64L << 30));
        Dram dram = machine.dram();
        assertEquals(Dram.BASE, dram.base());
        assertEquals(Dram.BASE + (64L << 30), dram.end());
        assertEquals(0, dram.committedBytes());
        HostMemory mem = machine.hostMemory();
        long last = dram.end() - 8;
        assertEquals(0, mem.load64(last), "untouched DRAM reads as zero");
        mem.store64(last, 0x1122_3344_5566_7788L);
        mem.store64(Dram.BASE, -1);
        assertEquals(0x1122_3344_5566_7788L, mem.load64(last));
        assertEquals((byte) 0x88, mem.load8(last), "little-endian");
        assertEquals(-1, mem.load64(Dram.BASE));
        assertEquals(2 * Dram.CHUNK_SIZE, dram.committedBytes());
        assertEquals(0, dram.metadataBytes(), "no page changed owner: no metadata");
    }

    @Test
    void byteAccessesAndMisalignment() {
        Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
        HostMemory mem = machine.hostMemory();
        mem.store8(Dram.BASE + 3, (byte) 0x5A);
        assertEquals(0x5A00_0000L, mem.load64(Dram.BASE));
        assertThrows(IllegalArgumentException.class, () -> mem.load64(Dram.BASE + 4));
        assertThrows(IllegalArgumentException.class, () -> mem.store64(Dram.BASE + 1, 0));
        assertThrows(IllegalArgumentException.class, () -> mem.load8(1L << Dram.PA_BITS));
    }

    @Test
    void theUartLivesInTheMmioWindowAndTheRestIsRazWi() {
        Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
        List<String> lines = new ArrayList<>();
        machine.uart().attach(lines::add);
        HostMemory mem = machine.hostMemory();
        for (byte b : "hi\n".getBytes()) {
            mem.store8(Machine.UART_PA, b);
        }
        assertEquals(List.of("hi"), lines);
        assertEquals(Machine.UARTFR_IDLE, mem.load64(Machine.UART_PA + Machine.UARTFR));
        mem.store64(0x1000, 42);
        assertEquals(0, mem.load64(0x1000));
        assertEquals(0, mem.load64(Dram.BASE + 16 * PAGE), "above DRAM: not memory, RAZ");
        assertEquals(0, machine.dram().committedBytes());
    }

    @Test
    void aPageTheHostDoesNotOwnFaultsWithItsOwner() {
        Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
        HypMemory hyp = machine.takeHypPlatform().memory();
        HostMemory mem = machine.hostMemory();
        long pfn = hyp.dram().basePfn() + 2;
        long pa = pfn * PAGE;
        mem.store64(pa, 7);
        hyp.setPageWord(pfn, HypPage.withAnnotation(HypPage.withHypState(
                HypPage.withHostState(0, PageState.NOPAGE), PageState.OWNED), OwnerId.HYP));
        assertFalse(mem.isAccessible(pa));
        assertTrue(mem.isAccessible(pa - PAGE));
        // No EL2 vector: nobody can fix the mapping, the abort is raised.
        Stage2Fault read = assertThrows(Stage2Fault.class, () -> mem.load64(pa));
        assertEquals(pa, read.pa());
        assertFalse(read.write());
        assertEquals(OwnerId.HYP, read.owner());
        Stage2Fault write = assertThrows(Stage2Fault.class, () -> mem.store8(pa + 9, (byte) 1));
        assertTrue(write.write());
        assertEquals(7, hyp.load64(pa), "the refused store changed nothing");
        assertEquals(Dram.PAGES_PER_CHUNK * 8L, machine.dram().metadataBytes());
    }

    @Test
    void theVectorEitherFixesTheMappingOrInjects() {
        Machine machine = new Machine(new MachineConfig(2, 16 * PAGE));
        HypMemory hyp = machine.takeHypPlatform().memory();
        long pfn = hyp.dram().basePfn();
        long pa = pfn * PAGE;
        hyp.setPageWord(pfn, HypPage.withHostState(0, PageState.NOPAGE));
        List<Long> faults = new ArrayList<>();
        machine.installEl2Vector(new El2Vector() {
            @Override
            public void hostHvc(Cpu cpu) {
            }

            @Override
            public OwnerId hostMemAbort(Cpu cpu, long faultPa, boolean write) {
                faults.add(faultPa);
                if (faults.size() == 1) {
                    return OwnerId.GUEST;
                }
                hyp.setPageWord(faultPa / PAGE, HypPage.INITIAL); // "idmap" it back
                return OwnerId.HOST;
            }
        });
        assertEquals(OwnerId.GUEST, assertThrows(Stage2Fault.class, () -> machine.hostMemory().store64(pa + 8, 1)).owner(),
                "the abort names the owner EL2 reported");
        machine.hostMemory().store64(pa + 8, 2);
        assertEquals(2, machine.hostMemory().load64(pa + 8));
        assertEquals(List.of(pa + 8, pa + 8), faults);
    }

    @Test
    void aVectorWithoutAFaultHandlerInjects() {
        Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
        HypMemory hyp = machine.takeHypPlatform().memory();
        hyp.setPageWord(hyp.dram().basePfn() + 15, HypPage.withHostState(0, PageState.NOPAGE));
        machine.installEl2Vector(cpu -> { });
        assertThrows(Stage2Fault.class, () -> machine.hostMemory().load8(Dram.BASE + 15 * PAGE));
        assertThrows(IndexOutOfBoundsException.class, () -> hyp.pageWord(hyp.dram().basePfn() + 16));
    }

    @Test
    void zeroPagesClearsOnlyTheRange() {
        Machine machine = new Machine(new MachineConfig(1, 1024 * PAGE));
        HypMemory hyp = machine.takeHypPlatform().memory();
        long base = Dram.BASE;
        for (long pa = base; pa < base + 1024 * PAGE; pa += PAGE) {
            hyp.store64(pa, 1);
        }
        hyp.zeroPages(hyp.dram().basePfn() + 1, 600); // crosses the 2 MiB chunk boundary
        assertEquals(1, hyp.load64(base));
        assertEquals(0, hyp.load64(base + PAGE));
        assertEquals(0, hyp.load64(base + 600 * PAGE));
        assertEquals(1, hyp.load64(base + 601 * PAGE));
    }
}
