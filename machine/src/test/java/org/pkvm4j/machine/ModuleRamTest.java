package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.machine.testing.TestImages;

/** Placing images, freeing the ones EL2 refused, and EL2 taking one over. */
class ModuleRamTest {
    private final Machine machine = new Machine(MachineConfig.defaults());
    private final ModuleRam ram = machine.moduleRam();

    @Test
    void placesImagesAtConsecutivePageAlignedAddresses() {
        long a = ram.place(TestImages.image("a", 1));
        long b = ram.place(TestImages.image("b", 3 * MachineConfig.PAGE_SIZE + 1));
        long c = ram.place(TestImages.image("c", 0));
        long end = machine.dram().end();
        assertEquals(end - MachineConfig.PAGE_SIZE, a, "from the top of DRAM down");
        assertEquals(a - 4 * MachineConfig.PAGE_SIZE, b);
        assertEquals(b - MachineConfig.PAGE_SIZE, c);
        assertTrue(c >= ram.floor());
        assertEquals(3, ram.placedCount());
    }

    @Test
    void freeRemovesAPlacedImageOnce() {
        long pa = ram.place(TestImages.image("a", 100));
        assertEquals(1, ram.placedCount());
        assertTrue(ram.free(pa));
        assertFalse(ram.free(pa));
        assertFalse(ram.free(pa + MachineConfig.PAGE_SIZE));
        assertEquals(0, ram.placedCount());
    }

    @Test
    void theHypervisorTakesAnImageAndTheHostCanNoLongerFreeIt() {
        El2Image image = TestImages.image("pkvm_driver", 100);
        long pa = ram.place(image);
        HypPlatform platform = machine.takeHypPlatform();

        assertSame(image, platform.takeModuleImage(pa));
        assertEquals(0, ram.placedCount());
        assertFalse(ram.free(pa));
        assertNull(platform.takeModuleImage(pa));
    }

    @Test
    void takingAnAddressWhereNothingIsPlacedGivesNull() {
        long pa = ram.place(TestImages.image("a", 100));
        HypPlatform platform = machine.takeHypPlatform();
        assertNull(platform.takeModuleImage(pa + 1));
        assertEquals(1, ram.placedCount());
    }

    @Test
    void freedPagesHoldALaterImageAndAFullAreaIsEnomem() {
        long a = ram.place(TestImages.image("a", 3 * MachineConfig.PAGE_SIZE));
        assertEquals(java.util.Map.of(a, 3L), ram.allocations());
        ram.free(a);
        assertTrue(ram.allocations().isEmpty());
        long b = ram.place(TestImages.image("b", MachineConfig.PAGE_SIZE));
        assertEquals(a, b, "first fit in the freed range");
        long c = ram.place(TestImages.image("c", 2 * MachineConfig.PAGE_SIZE));
        assertEquals(a + MachineConfig.PAGE_SIZE, c, "the rest of it");
        org.pkvm4j.api.PkvmException e = assertThrows(org.pkvm4j.api.PkvmException.class,
                () -> ram.place(TestImages.image("huge", ModuleRam.MAX_AREA + 1)));
        assertEquals(org.pkvm4j.api.Errno.ENOMEM, e.errno());
        assertEquals(ram.end() - Math.min(ModuleRam.MAX_AREA, machine.dram().size() / 2), ram.floor());
    }

    @Test
    void refusesNull() {
        assertThrows(NullPointerException.class, () -> ram.place(null));
    }
}
