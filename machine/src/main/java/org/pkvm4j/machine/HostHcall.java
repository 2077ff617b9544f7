package org.pkvm4j.machine;

/**
 * The static host hypercalls: the numbering both the host and the hypervisor are built against.
 *
 * <p>Kernel counterpart: {@code enum __kvm_host_smccc_func} in {@code asm/kvm_asm.h}, with the
 * android16-6.12 numbers. Ids below {@link #PKVM_PROT_FINALIZE} form the privileged band: the
 * hypervisor answers them with {@code SMCCC_RET_NOT_SUPPORTED} once the host is deprivileged.
 * Only the calls pkvm4j implements are listed; their numbers keep the kernel's gaps.
 */
public enum HostHcall {
    /** Reserves a hyp VA range for a module's sections; x1 = pages, returns x1 = VA or -errno. */
    PKVM_ALLOC_MODULE_VA(14, "__pkvm_alloc_module_va"),
    /**
     * Unmaps a module's sections and gives its pages back; x1 = token. pkvm4j unmaps the whole
     * span in one call and also revokes the module's dynamic hypercalls, so that an EL1 init that
     * fails after registering a handler leaves nothing behind.
     */
    PKVM_UNMAP_MODULE_PAGE(16, "__pkvm_unmap_module_page"),
    /** Takes the module image at x1 (PA) into the VA at x2 and runs the init at x3; x1 = 0 or -errno. */
    PKVM_INIT_MODULE(17, "__pkvm_init_module"),
    /** Registers the handler at hyp VA x1; returns x1 = hypercall id (128..255) or -errno. */
    PKVM_REGISTER_HCALL(18, "__pkvm_register_hcall"),
    /** Deprivileges the calling CPU (installs the host stage-2); -EPERM the second time. */
    PKVM_PROT_FINALIZE(21, "__pkvm_prot_finalize"),
    /**
     * Shares the host page at pfn x1 with the hypervisor (host SHARED_OWNED, hyp SHARED_BORROWED);
     * x1 = 0 or -EPERM. A post-finalize call: it stays open after deprivilege.
     */
    PKVM_HOST_SHARE_HYP(22, "__pkvm_host_share_hyp"),
    /**
     * Ends the share of the page at pfn x1 with the hypervisor (back to host OWNED, hyp NOPAGE);
     * x1 = 0, -EPERM, or -EBUSY while EL2 has it pinned. A post-finalize call.
     */
    PKVM_HOST_UNSHARE_HYP(23, "__pkvm_host_unshare_hyp");

    private final int id;
    private final String symbol;

    HostHcall(int id, String symbol) {
        this.id = id;
        this.symbol = symbol;
    }

    /** The function number n of {@code KVM_HOST_SMCCC_ID(n)}. */
    public int id() {
        return id;
    }

    /** The C name, for example {@code __pkvm_prot_finalize}. */
    public String symbol() {
        return symbol;
    }

    /** Whether the hypervisor closes this call once the host is deprivileged. */
    public boolean isPrivileged() {
        return id < PKVM_PROT_FINALIZE.id;
    }

    /** The smallest id the hypervisor still serves after deprivilege ({@code hcall_min}). */
    public static int minAfterFinalize() {
        return PKVM_PROT_FINALIZE.id;
    }

    /** The largest static id, for sizing the dispatch table. */
    public static int maxId() {
        int max = 0;
        for (HostHcall h : values()) {
            max = Math.max(max, h.id);
        }
        return max;
    }
}
