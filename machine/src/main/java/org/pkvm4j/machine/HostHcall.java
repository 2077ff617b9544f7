package org.pkvm4j.machine;

/**
 * The static host hypercalls: the numbering both the host and the hypervisor are built against.
 *
 * <p>Kernel counterpart: {@code enum __kvm_host_smccc_func} in {@code asm/kvm_asm.h}, with the
 * android16-6.12 numbers. Ids below {@link #PKVM_PROT_FINALIZE} form the privileged band: the
 * hypervisor answers them with {@code SMCCC_RET_NOT_SUPPORTED} once the host is deprivileged.
 * Only the calls pkvm4j implements are listed; their numbers keep the kernel's gaps up to
 * {@link #PKVM_HOST_UNSHARE_HYP}; the guest calls after it are numbered by pkvm4j (24 on), all
 * post-finalize, and some are pkvm4j's own (vCPU load/put and the per-access world switch).
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
    PKVM_HOST_UNSHARE_HYP(23, "__pkvm_host_unshare_hyp"),
    // The guest calls: pkvm4j's own numbers after the kernel's, all post-finalize. x1 = 0 or -errno
    // unless stated.
    /** Reserves a VM handle; x1 = handle (from 0x1000) or -ENOMEM. */
    PKVM_RESERVE_VM(24, "__pkvm_reserve_vm"),
    /** Releases a reserved, never-initialised handle x1; -EINVAL otherwise. */
    PKVM_UNRESERVE_VM(25, "__pkvm_unreserve_vm"),
    /** Creates the hyp VM x1 with x2 vCPUs, protected if x3 != 0 ({@code __pkvm_init_vm} + {@code __pkvm_init_vcpu}). */
    PKVM_INIT_VM(26, "__pkvm_init_vm"),
    /** Shares pfn x1 at gfn x2, x3 pages (1 or an aligned 2 MiB block), prot x4, with the loaded vCPU's non-protected VM. */
    PKVM_HOST_SHARE_GUEST(27, "__pkvm_host_share_guest"),
    /** Ends the share at gfn x2, x3 pages (the leaf's size), of non-protected VM x1. */
    PKVM_HOST_UNSHARE_GUEST(28, "__pkvm_host_unshare_guest"),
    /** Donates pfn x1 at gfn x2 to the loaded vCPU's protected VM (the vCPU's memcache pays for tables). */
    PKVM_HOST_DONATE_GUEST(29, "__pkvm_host_donate_guest"),
    /** Reclaims gfn x2 of dying VM x1 (zeroing a private page). */
    PKVM_RECLAIM_DYING_GUEST_PAGE(30, "__pkvm_reclaim_dying_guest_page"),
    /** Force-reclaims the guest page at PA x1: poisons it in the guest, zeroes it, gives it to the host. */
    PKVM_HOST_FORCE_RECLAIM_PAGE_GUEST(31, "__pkvm_host_force_reclaim_page_guest"),
    /** Teardown phase 1 of VM x1. */
    PKVM_START_TEARDOWN_VM(32, "__pkvm_start_teardown_vm"),
    /** Teardown phase 2 of VM x1. */
    PKVM_FINALIZE_TEARDOWN_VM(33, "__pkvm_finalize_teardown_vm"),
    /** Loads vCPU x2 of VM x1 on this CPU (a VM reference: teardown cannot start meanwhile). */
    PKVM_VCPU_LOAD(34, "__pkvm_vcpu_load"),
    /** Puts the vCPU loaded on this CPU. */
    PKVM_VCPU_PUT(35, "__pkvm_vcpu_put"),
    /**
     * One guest 8-byte access of the loaded vCPU: x1 = write (non-zero), x2 = IPA, x3 = the value stored. x1 = exit
     * code (0 done, 1 stage-2 fault at IPA x2, or -EFAULT on a poisoned page), x2 = the loaded value.
     */
    PKVM_VCPU_GUEST_ACCESS(36, "__kvm_vcpu_run(access)"),
    /**
     * One guest HVC of the loaded vCPU: x2 = function id, x3..x5 = the guest's x1..x3. x1 = exit code (0
     * handled, 1 stage-2 fault at IPA x2, 2 left to the host), x2 = the guest's x0.
     */
    PKVM_VCPU_GUEST_HVC(37, "__kvm_vcpu_run(hvc)"),
    /**
     * Admits the host vCPU's memcache into the loaded hyp vCPU's: x1 = PA of the first page (each
     * page's first word links the next), x2 = the number of pages; x1 = the hyp
     * memcache's page count, or -errno. The kernel does this at the start of the hypercalls that map
     * guest memory, reading the memcache from the host vCPU it shares with EL2; pkvm4j shares no
     * structure, so the host passes it in registers.
     */
    PKVM_REFILL_MEMCACHE(38, "pkvm_refill_memcache"),
    /**
     * Donates x2 host pages from pfn x1 to the hypervisor's IOMMU pool (the atomic one if x3 != 0),
     * which IOMMU drivers take their tables from; x1 = 0 or -errno, x2 = the pages drivers asked for
     * since the last refill ({@code __pkvm_hyp_alloc_mgt_refill} for the IOMMU allocator; pkvm4j
     * passes a contiguous range instead of a memcache).
     */
    PKVM_IOMMU_REFILL(39, "kvm_iommu_refill"),
    /**
     * Assigns the device whose registers are at PA x2 ({@link DmaEngine#regsPhys}) to protected VM x1,
     * after its reset callback ran; x1 = 0 or -errno. The VM's teardown gives it back.
     */
    PKVM_DEVICE_ASSIGN(40, "__pkvm_device_assign"),
    /**
     * One guest SMC of the loaded vCPU: x2 = function id, x3..x5 = the guest's x1..x3. x1 = exit code
     * (0 answered at EL2, 2 left to the host: a non-protected VM's, or -EINVAL with no loaded vCPU),
     * x2..x5 = the guest's x0..x3.
     */
    PKVM_VCPU_GUEST_SMC(41, "__kvm_vcpu_run(smc)"),
    /**
     * Donates the host page at pfn x1 to the EL2 heap, which maps it at its end; x1 = 0 or -errno
     * (-E2BIG: the heap's VA window is full). The host issues it for each page a module's {@code
     * request_hyp_alloc} asked for.
     */
    PKVM_HYP_ALLOC_REFILL(42, "__pkvm_hyp_alloc_mgt_refill"),
    /**
     * Switches hyp event x1 on (x2 != 0) or off in the event-id table a module registered ({@code
     * register_hyp_event_ids}): writes 1 or 0 to the event's enable key; x1 = 0 or -EINVAL when no
     * registered table has that id.
     */
    PKVM_ENABLE_EVENT(43, "__pkvm_enable_event");

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
