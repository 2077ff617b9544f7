package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The packed struct hyp_page word: every field round-trips and leaves the others alone. */
class HypPageTest {

    @Test
    void theZeroWordIsHostOwnedAndHypNopage() {
        // Zeroed vmemmap means "host owns it, hyp has nothing": why the hyp state is stored complemented.
        assertEquals(PageState.OWNED, HypPage.hostState(HypPage.INITIAL));
        assertEquals(PageState.NOPAGE, HypPage.hypState(HypPage.INITIAL));
        assertEquals(OwnerId.HOST, HypPage.annotationOwner(HypPage.INITIAL));
        assertTrue(HypPage.hostAccessible(HypPage.INITIAL));
    }

    @ParameterizedTest
    @EnumSource(PageState.class)
    void statesRoundTripIndependently(PageState s) {
        long w = HypPage.withRefcount(HypPage.withHypState(HypPage.withHostState(0, s), PageState.SHARED_BORROWED), 7);
        assertEquals(s, HypPage.hostState(w));
        assertEquals(PageState.SHARED_BORROWED, HypPage.hypState(w));
        assertEquals(7, HypPage.refcount(w));
        assertEquals(s != PageState.NOPAGE, HypPage.hostAccessible(w));
        long h = HypPage.withHypState(w, s);
        assertEquals(s, HypPage.hypState(h));
        assertEquals(s, HypPage.hostState(h));
    }

    @Test
    void guestAnnotationHoldsHandleAndFortyBitGfn() {
        long w = HypPage.withGuestAnnotation(HypPage.withHostState(0, PageState.NOPAGE), 0xFFFF, HypPage.MAX_GUEST_GFN);
        assertEquals(OwnerId.GUEST, HypPage.annotationOwner(w));
        assertEquals(0xFFFF, HypPage.guestHandle(w));
        assertEquals(HypPage.MAX_GUEST_GFN, HypPage.guestGfn(w));
        assertEquals(PageState.NOPAGE, HypPage.hostState(w));
        assertEquals(PageState.NOPAGE, HypPage.hypState(w));
        assertFalse(HypPage.hostAccessible(w));
        assertThrows(IllegalArgumentException.class, () -> HypPage.withGuestAnnotation(0, 0x10000, 0));
        assertThrows(IllegalArgumentException.class, () -> HypPage.withGuestAnnotation(0, 1, 1L << 40));
        long cleared = HypPage.withAnnotation(w, OwnerId.HOST);
        assertEquals(OwnerId.HOST, HypPage.annotationOwner(cleared));
        assertEquals(0, HypPage.guestGfn(cleared));
    }

    @Test
    void countsAreU16AndU32() {
        long w = HypPage.withShareGuestCount(HypPage.withRefcount(0, HypPage.MAX_REFCOUNT), HypPage.MAX_SHARE_GUEST_COUNT);
        assertEquals(HypPage.MAX_REFCOUNT, HypPage.refcount(w));
        assertEquals(HypPage.MAX_SHARE_GUEST_COUNT, HypPage.shareGuestCount(w));
        assertEquals(PageState.OWNED, HypPage.hostState(w));
        assertEquals(PageState.NOPAGE, HypPage.hypState(w));
        assertThrows(IllegalArgumentException.class, () -> HypPage.withRefcount(0, 0x10000));
        assertThrows(IllegalArgumentException.class, () -> HypPage.withShareGuestCount(0, 1L << 32));
        assertEquals(Long.BYTES, Dram.metadataBytesPerPage());
    }
}
