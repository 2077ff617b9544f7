package org.pkvm4j.machine;

/**
 * A host access the host stage-2 refused and the hypervisor did not fix: the abort EL2 injects into
 * the host.
 *
 * <p>Kernel counterpart: the data abort {@code handle_host_mem_abort} injects (ESR with {@code
 * S1PTW} set as the pKVM marker), which {@code arch/arm64/mm/fault.c} recognises with {@code
 * is_pkvm_stage2_abort}: SIGSEGV for an EL0 access, a fixup or "access to hypervisor-protected
 * memory" for EL1. The host kernel decides which; the machine only raises it. The owner is read
 * from the stage-2 annotation for the report; the host could not read it on real hardware.
 */
public final class Stage2Fault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long pa;
    private final boolean write;
    private final OwnerId owner;

    /** A fault on {@code pa}, a write if {@code write}, on a page owned by {@code owner}. */
    public Stage2Fault(long pa, boolean write, OwnerId owner) {
        super("host stage-2 fault: %s PA 0x%x, page owned by %s".formatted(write ? "write to" : "read of", pa, owner));
        this.pa = pa;
        this.write = write;
        this.owner = owner;
    }

    /** The faulting physical address ({@code HPFAR_EL2} + {@code FAR} offset). */
    public long pa() {
        return pa;
    }

    /** Whether the access was a write ({@code ESR_ELx.WnR}). */
    public boolean write() {
        return write;
    }

    /** Who owns the page: the owner id of the host stage-2 annotation. */
    public OwnerId owner() {
        return owner;
    }
}
