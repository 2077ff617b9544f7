package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.machine.testing.TestImages;

class El2ImageTest {

    @Test
    void nrPagesRoundsUpAndIsAtLeastOne() {
        assertEquals(1, TestImages.image("a", 0).nrPages());
        assertEquals(1, TestImages.image("a", MachineConfig.PAGE_SIZE).nrPages());
        assertEquals(2, TestImages.image("a", MachineConfig.PAGE_SIZE + 1).nrPages());
    }

    /** Scenario: each section starts on a page, so pages are counted per section; sizes must agree. */
    @Test
    void sectionsArePageAlignedEach() {
        long page = MachineConfig.PAGE_SIZE;
        El2Image.Sections s = new El2Image.Sections(page + 1, 1, 8);
        assertEquals(2, s.textPages());
        assertEquals(1, s.rodataPages());
        assertEquals(1, s.dataPages());
        assertEquals(4, s.nrPages());
        assertEquals(page + 10, s.sizeBytes());
        assertEquals(0, new El2Image.Sections(page, 0, 0).dataPages());
        assertThrows(IllegalArgumentException.class, () -> new El2Image.Sections(1, -1, 0));
        El2Image plain = TestImages.image("a", s.sizeBytes());
        El2Image image = new El2Image("a", plain.module(), plain.controller(), List.of(), s.sizeBytes(), s);
        assertEquals(4, image.nrPages());
        assertEquals(new El2Image.Sections(100, 0, 0), TestImages.image("a", 100).sections(), "the short form is all text");
        assertThrows(IllegalArgumentException.class,
                () -> new El2Image("a", plain.module(), plain.controller(), List.of(), 5, s), "sizes disagree");
    }

    @Test
    void symbolAtFindsTheSymbolAtAnOffset() {
        El2Image.Symbol init = new El2Image.Symbol("init", 0, El2Image.Kind.INIT, "x.Hyp", "init");
        El2Image.Symbol hvc = new El2Image.Symbol("hvc", 0x40, El2Image.Kind.HVC_USER_PT_REGS, "x.Hyp", "hvc");
        El2Image image = TestImages.image("a", 100, List.of(init, hvc));
        assertEquals(hvc, image.symbolAt(0x40).orElseThrow());
        assertEquals(init, image.symbolAt(0).orElseThrow());
        assertTrue(image.symbolAt(0x20).isEmpty());
    }

    @Test
    void symbolListIsCopied() {
        List<El2Image.Symbol> symbols = new ArrayList<>();
        El2Image image = TestImages.image("a", 100, symbols);
        symbols.add(new El2Image.Symbol("late", 8, El2Image.Kind.INIT, "x.Hyp", "late"));
        assertTrue(image.symbols().isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> image.symbols().add(symbols.get(0)));
    }

    @Test
    void imageWrapsARealModuleOfItsOwnLayer() {
        El2Image image = TestImages.image("drv", 1);
        assertEquals("test.el2.drv", image.module().getName());
        assertEquals(image.controller().layer(), image.module().getLayer());
    }
}
