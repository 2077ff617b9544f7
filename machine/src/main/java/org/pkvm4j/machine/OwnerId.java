package org.pkvm4j.machine;

/**
 * The components that can own a page, in page-table locking order.
 *
 * <p>Kernel counterpart: {@code enum pkvm_component_id} upstream after Will Deacon's 2026 protected
 * guest memory series ({@code PKVM_ID_HOST}, {@code PKVM_ID_HYP}, {@code PKVM_ID_GUEST}; {@code
 * PKVM_ID_FFA} was removed). A host stage-2 entry for a page the host does not own carries one of
 * these in its annotation (bits 3:1 of the invalid PTE).
 */
public enum OwnerId {
    /** {@code PKVM_ID_HOST}: the host kernel (EL1). */
    HOST(0),
    /** {@code PKVM_ID_HYP}: the hypervisor (EL2). */
    HYP(1),
    /** {@code PKVM_ID_GUEST}: a guest; the annotation also names the VM handle and the gfn. */
    GUEST(2);

    private static final OwnerId[] BY_ID = {HOST, HYP, GUEST};

    private final int id;

    OwnerId(int id) {
        this.id = id;
    }

    /** The numeric id stored in annotations. */
    public int id() {
        return id;
    }

    /**
     * The owner with numeric id {@code id}.
     *
     * @throws IllegalArgumentException for an id no component has
     */
    public static OwnerId ofId(int id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new IllegalArgumentException("no pkvm_component_id " + id);
        }
        return BY_ID[id];
    }
}
