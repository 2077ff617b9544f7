package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;

class HypPgTableTest {
    private static final long PAGE = 4096;
    private static final long BASE = HypVaSpace.PRIVATE_VA_BASE;

    @Test
    void mapsAcrossLastLevelTablesAndUnmapsPageByPage() {
        HypPgTable pgt = new HypPgTable();
        // 4 pages straddling the boundary of two last-level tables (4096 pages each).
        long va = BASE + 4094 * PAGE;
        assertEquals(0, pgt.map(va, 0x4000_0000L, 4, Prot.RW, false));
        for (int i = 0; i < 4; i++) {
            long leaf = pgt.leaf(va + i * PAGE + 123);
            assertEquals(0x4000_0000L + i * PAGE, HypPgTable.pa(leaf));
            assertEquals(Prot.RW, HypPgTable.prot(leaf));
        }
        assertEquals(0, pgt.leaf(va - PAGE));
        assertEquals(0, pgt.leaf(va + 4 * PAGE));
        long leaf = pgt.unmap(va + PAGE);
        assertEquals(0x4000_0000L + PAGE, HypPgTable.pa(leaf));
        assertEquals(0, pgt.leaf(va + PAGE));
        assertEquals(0, pgt.unmap(va + PAGE), "a second unmap finds nothing");
    }

    @Test
    void aMappedPageRefusesTheWholeRangeAndOutOfRangeIsEinval() {
        HypPgTable pgt = new HypPgTable();
        long va = BASE + (1L << 30);
        assertEquals(0, pgt.map(va + 2 * PAGE, 0x5000_0000L, 1, Prot.R, true));
        assertEquals(-Errno.EEXIST.code(), pgt.map(va, 0x6000_0000L, 4, Prot.RW, false));
        assertEquals(0, pgt.leaf(va), "all or nothing: the first pages were not mapped either");
        assertEquals(HypPgTable.DEVICE, pgt.leaf(va + 2 * PAGE) & HypPgTable.DEVICE);

        assertEquals(-Errno.EINVAL.code(), pgt.map(BASE - PAGE, 0, 1, Prot.R, false), "below the private range");
        assertEquals(-Errno.EINVAL.code(), pgt.map(HypVaSpace.PRIVATE_VA_END - PAGE, 0, 2, Prot.R, false), "past its end");
        assertEquals(0, pgt.leaf(HypVaSpace.PRIVATE_VA_END), "past the range: no mapping, no exception");
        assertEquals(0, pgt.map(HypVaSpace.PRIVATE_VA_END - PAGE, 0x7000_0000L, 1, Prot.R, false), "the last page");
        assertEquals(-Errno.EINVAL.code(), pgt.map(BASE, 0, 1, Prot.RWX, false), "W^X");
    }
}
