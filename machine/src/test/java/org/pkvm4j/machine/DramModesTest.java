package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DRAM's two ways of committing memory, flat (one lazily committed mapping) and chunked, behave the
 * same: zero-filled, metadata starting at {@link HypPage#INITIAL}, accounting per 2 MiB chunk.
 */
class DramModesTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;

    @ParameterizedTest(name = "flat={0}")
    @ValueSource(booleans = {true, false})
    void untouchedMemoryIsZeroAndInitialAndCostsNothing(boolean flat) {
        Machine machine = new Machine(new MachineConfig(1, 64L << 30), flat);
        Dram dram = machine.dram();
        assumeTrue(dram.isFlat() == flat, "flat DRAM needs tmpfs at /dev/shm");
        HypMemory hyp = machine.takeHypPlatform().memory();
        HostMemory host = machine.hostMemory();
        long lastPfn = dram.basePfn() + dram.nrPages() - 1;
        for (long pfn : new long[] {dram.basePfn(), dram.basePfn() + 513, lastPfn}) {
            assertEquals(HypPage.INITIAL, hyp.pageWord(pfn));
            assertEquals(0, host.load64(pfn * PAGE + PAGE - 8));
            assertEquals(0, hyp.load8(pfn * PAGE + 5));
            assertTrue(host.isAccessible(pfn * PAGE), "INITIAL: host-owned");
        }
        hyp.setPageWord(lastPfn, HypPage.INITIAL);
        hyp.zeroPages(dram.basePfn(), dram.nrPages());
        assertEquals(0, dram.committedBytes());
        assertEquals(0, dram.metadataBytes(), "writing INITIAL to untouched metadata commits nothing");
    }

    @ParameterizedTest(name = "flat={0}")
    @ValueSource(booleans = {true, false})
    void contentsMetadataAndAccountingAgree(boolean flat) {
        Machine machine = new Machine(new MachineConfig(1, 16 * Dram.CHUNK_SIZE + 3 * PAGE), flat);
        Dram dram = machine.dram();
        assumeTrue(dram.isFlat() == flat, "flat DRAM needs tmpfs at /dev/shm");
        HypMemory hyp = machine.takeHypPlatform().memory();
        HostMemory host = machine.hostMemory();
        long lastPa = dram.end() - 8;
        host.store64(lastPa, 0x0102_0304_0506_0708L);
        assertEquals(0x08, host.load8(lastPa), "little-endian");
        assertEquals(3 * PAGE, dram.committedBytes(), "the short last chunk counts its size");
        hyp.store8(Dram.BASE + Dram.CHUNK_SIZE + 1, (byte) 0x7F);
        host.store64(Dram.BASE + Dram.CHUNK_SIZE + 8, -1);
        assertEquals(0x7F00, host.load64(Dram.BASE + Dram.CHUNK_SIZE));
        assertEquals(-1, hyp.load64(Dram.BASE + Dram.CHUNK_SIZE + 8));
        assertEquals(3 * PAGE + Dram.CHUNK_SIZE, dram.committedBytes());

        long pfn = dram.basePfn() + Dram.PAGES_PER_CHUNK + 1;
        long word = HypPage.withAnnotation(HypPage.withHypState(
                HypPage.withHostState(0, PageState.NOPAGE), PageState.OWNED), OwnerId.HYP);
        hyp.setPageWord(pfn, word);
        assertEquals(word, hyp.pageWord(pfn));
        assertEquals(HypPage.INITIAL, hyp.pageWord(pfn - 1), "the neighbour is untouched");
        assertEquals(Dram.PAGES_PER_CHUNK * 8L, dram.metadataBytes());
        Stage2Fault fault = assertThrows(Stage2Fault.class, () -> host.load64(pfn * PAGE));
        assertEquals(OwnerId.HYP, fault.owner());
        assertThrows(Stage2Fault.class, () -> host.store64(pfn * PAGE, 1));
        hyp.setPageWord(pfn, HypPage.INITIAL);
        assertEquals(0x7F00, host.load64(Dram.BASE + Dram.CHUNK_SIZE), "given back, still readable");

        hyp.zeroPages(dram.basePfn() + Dram.PAGES_PER_CHUNK, 1);
        assertEquals(0, host.load64(Dram.BASE + Dram.CHUNK_SIZE));
        assertEquals(0x0102_0304_0506_0708L, host.load64(lastPa), "outside the zeroed range");
        assertThrows(IndexOutOfBoundsException.class, () -> hyp.load64(dram.end()));
    }

    @Test
    void flatDramOfSixtyFourGigabytesCommitsOnlyTheTouchedPages() throws IOException {
        assumeTrue(SparseMapping.isTmpfs(SparseMapping.dir()), "flat DRAM needs tmpfs at /dev/shm");
        long before = shmemKiB();
        Machine machine = new Machine(new MachineConfig(1, 64L << 30));
        Dram dram = machine.dram();
        assertTrue(dram.isFlat());
        HostMemory host = machine.hostMemory();
        HypMemory hyp = machine.takeHypPlatform().memory();
        long stride = dram.size() / 100 & -PAGE;
        for (int i = 0; i < 100; i++) {
            long pa = Dram.BASE + i * stride;
            host.store64(pa, i + 1);
            hyp.setPageWord(pa >>> Dram.PAGE_SHIFT, HypPage.withHostState(0, PageState.SHARED_OWNED));
        }
        for (int i = 0; i < 100; i++) {
            assertEquals(i + 1, host.load64(Dram.BASE + i * stride));
        }
        // 100 content pages and 100 metadata pages: 800 KiB. Other machines of this JVM may be freed by
        // the GC meanwhile, which only lowers the figure; an eager commit would be 64 GiB.
        long grown = shmemKiB() - before;
        assertTrue(grown < 8 * 1024, "touching 200 pages of a 64 GiB machine grew shmem by " + grown + " KiB");
        assertEquals(100 * Dram.CHUNK_SIZE, dram.committedBytes());
        assertEquals(100 * Dram.PAGES_PER_CHUNK * 8L, dram.metadataBytes());
    }

    @Test
    void manyMachinesHaveTheirOwnMemoryAndLeaveNoFiles() throws IOException {
        assumeTrue(SparseMapping.isTmpfs(SparseMapping.dir()), "flat DRAM needs tmpfs at /dev/shm");
        Path dir = Files.createTempDirectory(SparseMapping.dir(), "pkvm4j-test-");
        try {
            List<MemorySegment> maps = new ArrayList<>();
            try (Arena arena = Arena.ofConfined()) {
                for (int i = 0; i < 50; i++) {
                    MemorySegment m = SparseMapping.mapOrNull(dir, 4L << 30, arena);
                    assertNotNull(m);
                    assertEquals(0, m.get(ValueLayout.JAVA_LONG, (4L << 30) - 8));
                    m.set(ValueLayout.JAVA_LONG, i * PAGE, i + 1);
                    maps.add(m);
                }
                try (Stream<Path> left = Files.list(dir)) {
                    assertEquals(0, left.count(), "each file is deleted once mapped");
                }
                for (int i = 0; i < maps.size(); i++) {
                    for (int j = 0; j < maps.size(); j++) {
                        assertEquals(i == j ? i + 1 : 0, maps.get(i).get(ValueLayout.JAVA_LONG, j * PAGE));
                    }
                }
            }
            assertFalse(maps.getFirst().scope().isAlive(), "closing the arena unmaps");
        } finally {
            Files.delete(dir);
        }
        // The machines a test suite boots: each maps its own DRAM and drops it with the machine.
        for (int i = 0; i < 300; i++) {
            Machine machine = new Machine(new MachineConfig(1, 4L << 30));
            assertTrue(machine.dram().isFlat());
            machine.hostMemory().store64(Dram.BASE + i * PAGE, i);
            assertEquals(i, machine.hostMemory().load64(Dram.BASE + i * PAGE));
            assertEquals(0, machine.hostMemory().load64(Dram.BASE + (i + 1) * PAGE));
        }
    }

    @Test
    void noTmpfsMeansNoMapping() throws IOException {
        Path disk = Files.createTempDirectory("pkvm4j-test-");
        try {
            assumeTrue(!SparseMapping.isTmpfs(disk), "java.io.tmpdir is tmpfs here");
            assertEquals(null, SparseMapping.mapOrNull(disk, 1L << 20, Arena.ofAuto()));
            try (Stream<Path> left = Files.list(disk)) {
                assertEquals(0, left.count());
            }
        } finally {
            Files.delete(disk);
        }
    }

    /** This process's resident shared memory (tmpfs pages it maps), from /proc/self/status. */
    private static long shmemKiB() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("RssShmem:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst().orElseThrow();
    }
}
