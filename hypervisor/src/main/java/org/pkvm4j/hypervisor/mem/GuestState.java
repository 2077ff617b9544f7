package org.pkvm4j.hypervisor.mem;

/**
 * The state of a page in a guest's stage-2.
 *
 * <p>Kernel counterpart: the software bits of a guest stage-2 PTE ({@code enum pkvm_page_state}),
 * with {@code PKVM_NOPAGE} for no valid PTE and {@code PKVM_POISON} for the invalid PTE of type
 * {@code GUEST_POISONED} that {@code __pkvm_host_force_reclaim_page_guest} leaves.
 */
public enum GuestState {
    /** {@code PKVM_PAGE_OWNED}: donated by the host, private to the guest. */
    OWNED,
    /** {@code PKVM_PAGE_SHARED_OWNED}: the guest's page, shared back with the host (MEM_SHARE). */
    SHARED_OWNED,
    /** {@code PKVM_PAGE_SHARED_BORROWED}: a host page the host shares with a non-protected guest. */
    SHARED_BORROWED,
    /** {@code PKVM_NOPAGE}: nothing mapped at that gfn. */
    NOPAGE,
    /** {@code PKVM_POISON}: forcibly reclaimed by the host; the guest's next access fails. */
    POISON;

    private static final GuestState[] VALUES = values();

    static GuestState ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }
}
