package org.pkvm4j.machine;

/**
 * The state of a page from one component's point of view.
 *
 * <p>Kernel counterpart: {@code enum pkvm_page_state} in {@code nvhe/include/nvhe/memory.h}, with its
 * values: they are what the two software bits of a stage-2 PTE (or the state fields of {@code struct
 * hyp_page}) hold. {@code PKVM_POISON}, a guest-only meta-state, belongs to the guest stage-2 and is
 * not listed here.
 */
public enum PageState {
    /** {@code PKVM_PAGE_OWNED}: owned and exclusively accessible. */
    OWNED(0),
    /** {@code PKVM_PAGE_SHARED_OWNED}: owned, and also accessible by another component. */
    SHARED_OWNED(1),
    /** {@code PKVM_PAGE_SHARED_BORROWED}: accessible, owned by another component. */
    SHARED_BORROWED(2),
    /** {@code PKVM_NOPAGE}: not accessible (a meta-state: no mapping). */
    NOPAGE(3);

    private static final PageState[] BY_BITS = {OWNED, SHARED_OWNED, SHARED_BORROWED, NOPAGE};

    private final int bits;

    PageState(int bits) {
        this.bits = bits;
    }

    /** The two-bit encoding ({@code PKVM_PAGE_*} value). */
    public int bits() {
        return bits;
    }

    /** The state whose encoding is the low two bits of {@code bits}. */
    public static PageState ofBits(int bits) {
        return BY_BITS[bits & 3];
    }

    /** Whether a component in this state can access the page (everything but {@link #NOPAGE}). */
    public boolean isAccessible() {
        return this != NOPAGE;
    }
}
