package org.pkvm4j.api.el2;

/**
 * The host stage-2 leaf entry of one physical page, as {@link ModuleOps#hostStage2GetLeaf} reads it.
 *
 * <p>Kernel counterpart: the {@code kvm_pte_t} and level {@code host_stage2_get_leaf(phys, &pte,
 * &level)} returns, decoded: a valid entry maps the page for the host with {@link #prot}; an invalid
 * one carries the annotation of the page's owner ({@code KVM_HOST_INVALID_PTE_TYPE_DONATION}, owner
 * id in bits 3:1). pkvm4j's host stage-2 maps DRAM page by page, so the level is always {@value
 * #PAGE_LEVEL}; the MMIO window is mapped as device memory, RW.
 *
 * @param phys the page's physical address (page aligned)
 * @param level the translation level of the leaf (3 for a 4 KiB page)
 * @param valid whether the host may access the page (the entry is valid)
 * @param prot the host's {@link org.pkvm4j.api.Prot} bits for a valid entry, 0 for an invalid one
 * @param owner the owner id of the page: {@link #OWNER_HOST} for a valid entry, else the annotation's
 *     ({@link #OWNER_HYP}, {@link #OWNER_GUEST})
 * @param state the host's page state ({@link #PAGE_OWNED} .. {@link #PAGE_NOPAGE}); device memory
 *     reads as {@link #PAGE_OWNED}
 * @since 0.1
 */
public record HostStage2Leaf(long phys, int level, boolean valid, int prot, int owner, int state) {
    /** The level of a 4 KiB page leaf. */
    public static final int PAGE_LEVEL = 3;
    /** {@code PKVM_ID_HOST}. */
    public static final int OWNER_HOST = 0;
    /** {@code PKVM_ID_HYP}. */
    public static final int OWNER_HYP = 1;
    /** {@code PKVM_ID_GUEST}. */
    public static final int OWNER_GUEST = 2;
    /** {@code PKVM_PAGE_OWNED}. */
    public static final int PAGE_OWNED = 0;
    /** {@code PKVM_PAGE_SHARED_OWNED}. */
    public static final int PAGE_SHARED_OWNED = 1;
    /** {@code PKVM_PAGE_SHARED_BORROWED}. */
    public static final int PAGE_SHARED_BORROWED = 2;
    /** {@code PKVM_NOPAGE}. */
    public static final int PAGE_NOPAGE = 3;
}
