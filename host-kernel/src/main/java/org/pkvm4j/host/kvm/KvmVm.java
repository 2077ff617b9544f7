package org.pkvm4j.host.kvm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;

/**
 * A VM: its memslots, vCPUs, the host's record of the pages it gave the guest, and its teardown.
 *
 * <p>Kernel counterpart: {@code struct kvm} with pKVM's host side ({@code arch/arm64/kvm/pkvm.c}):
 * the hyp VM is created on the first run ({@code pkvm_create_hyp_vm}: {@code __pkvm_init_vm} +
 * {@code __pkvm_init_vcpu}); a guest stage-2 fault donates one host page to a protected guest
 * ({@code __pkvm_host_donate_guest}) or shares one with a non-protected guest ({@code
 * __pkvm_host_share_guest}); {@link #destroy()} is the two-phase teardown. The page record ({@code
 * pkvm_mappings}) keeps a force-reclaimed page until destruction, as the kernel keeps it pinned.
 *
 * <p>Memslots ({@code KVM_SET_USER_MEMORY_REGION}) are guest physical ranges only: pkvm4j has no VMM
 * address space, the host backs them from {@link Kvm}'s page pool. A protected VM refuses read-only
 * slots ({@code EINVAL}) and any change once it has run ({@code EPERM}).
 */
public final class KvmVm {
    /** {@code KVM_MEM_READONLY}. */
    public static final int KVM_MEM_READONLY = 1 << 1;
    private static final long PAGE_SIZE = 1L << Dram.PAGE_SHIFT;
    /**
     * {@code KVM_PHYS_SHIFT}: the VM's IPA size in bits, the default of a type with no IPA size
     * ({@link Kvm#KVM_VM_TYPE_ARM_IPA_SIZE_MASK} clear, the only type pkvm4j accepts).
     */
    public static final int IPA_BITS = 40;
    /** {@code KVM_MEM_SLOTS_NUM}: slot ids are below this ({@code SHRT_MAX + 1}). */
    public static final int MEM_SLOTS_NUM = 1 << 15;
    /** {@code KVM_MEM_MAX_NR_PAGES}: the most pages one memslot may have. */
    public static final long MEM_MAX_NR_PAGES = (1L << 31) - 1;
    /** {@code KVM_MAX_VCPU_IDS}: vCPU ids are below this (arm64: {@code KVM_MAX_VCPUS}, the vGICv3's 512). */
    public static final int MAX_VCPU_IDS = 512;
    /** The VM's {@code max_vcpus}: the hypervisor's limit on a VM's vCPUs. */
    public static final int MAX_VCPUS = 64;
    /** {@code kvm_mmu_cache_min_pages}: a table page for each level below the stage-2's root (4 levels). */
    static final int MMU_CACHE_MIN_PAGES = 3;

    private record Memslot(int slot, int flags, long gpa, long size) {
        boolean contains(long ipa) {
            return ipa >= gpa && ipa - gpa < size;
        }
    }

    private final Kvm kvm;
    private final HvcGateway gateway;
    private final long handle;
    private final boolean isProtected;
    private final Map<Integer, Memslot> memslots = new TreeMap<>();
    private final List<KvmVcpu> vcpus = new ArrayList<>();
    private final Map<Long, Long> pages = new TreeMap<>();
    /** Pages this VM's vCPU memcaches took for the hypervisor (stage-2 tables), freed after teardown. */
    private final List<Long> memcachePages = new ArrayList<>();
    private boolean created;
    private boolean destroyed;

    KvmVm(Kvm kvm, HvcGateway gateway, long handle, boolean isProtected) {
        this.kvm = kvm;
        this.gateway = gateway;
        this.handle = handle;
        this.isProtected = isProtected;
    }

    /** The hypervisor's handle of this VM. */
    public long handle() {
        return handle;
    }

    /** Whether this is a protected VM. */
    public boolean isProtected() {
        return isProtected;
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: creates, changes or (size 0) deletes memslot {@code slot}.
     *
     * <p>The address and size are {@code __u64}s, as the ioctl's: a negative {@code long} is a
     * large unsigned value. Checked in the kernel's order: {@code check_memory_region_flags} and
     * {@code kvm_set_memory_region} (slot id, alignment, address + size wrapping, at most {@link
     * #MEM_MAX_NR_PAGES} pages: {@code EINVAL}), then arm64's {@code kvm_arch_prepare_memory_region}
     * (a slot ending beyond the {@link #IPA_BITS}-bit IPA space: {@code EFAULT}).
     *
     * @throws PkvmException {@code EINVAL} for unknown flags, a slot id outside {@code [0,
     *     KVM_MEM_SLOTS_NUM)}, an unaligned range, one that wraps, one of more than {@link
     *     #MEM_MAX_NR_PAGES} pages, or a read-only slot of a protected VM; {@code EFAULT} for a slot
     *     beyond the IPA space; {@code EEXIST} for an overlap; {@code EPERM} once a protected VM has run
     */
    public synchronized void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, long memorySize) {
        checkAlive();
        if ((flags & ~KVM_MEM_READONLY) != 0 || slot < 0 || slot >= MEM_SLOTS_NUM
                || (guestPhysAddr & (PAGE_SIZE - 1)) != 0 || (memorySize & (PAGE_SIZE - 1)) != 0) {
            throw new PkvmException(Errno.EINVAL, "KVM_SET_USER_MEMORY_REGION: bad slot, flags or alignment");
        }
        if (Long.compareUnsigned(guestPhysAddr + memorySize, guestPhysAddr) < 0) {
            throw new PkvmException(Errno.EINVAL, "KVM_SET_USER_MEMORY_REGION: address + size wraps");
        }
        if (Long.compareUnsigned(memorySize >>> Dram.PAGE_SHIFT, MEM_MAX_NR_PAGES) > 0) {
            throw new PkvmException(Errno.EINVAL, "KVM_SET_USER_MEMORY_REGION: more than KVM_MEM_MAX_NR_PAGES pages");
        }
        if (isProtected && created) {
            throw new PkvmException(Errno.EPERM, "memslots of a protected VM are fixed once it has run");
        }
        if (isProtected && (flags & KVM_MEM_READONLY) != 0) {
            throw new PkvmException(Errno.EINVAL, "protected VMs have no read-only memslots");
        }
        if (memorySize != 0 && Long.compareUnsigned(guestPhysAddr + memorySize, 1L << IPA_BITS) > 0) {
            throw new PkvmException(Errno.EFAULT, "KVM_SET_USER_MEMORY_REGION: the slot ends beyond the %d-bit IPA space"
                    .formatted(IPA_BITS));
        }
        if (memorySize == 0) {
            memslots.remove(slot);
            return;
        }
        for (Memslot m : memslots.values()) {
            if (m.slot != slot && guestPhysAddr < m.gpa + m.size && m.gpa < guestPhysAddr + memorySize) {
                throw new PkvmException(Errno.EEXIST, "memslot overlaps slot " + m.slot);
            }
        }
        memslots.put(slot, new Memslot(slot, flags, guestPhysAddr, memorySize));
    }

    /**
     * {@code KVM_CREATE_VCPU}.
     *
     * <p>{@code id} is the ioctl's {@code unsigned long}: -1 is a large id.
     *
     * @throws PkvmException {@code EINVAL} for an id outside {@code [0, KVM_MAX_VCPU_IDS)} or a VM
     *     with {@link #MAX_VCPUS} already ({@code kvm_vm_ioctl_create_vcpu}); {@code EEXIST} for an id
     *     in use; {@code EBUSY} once the VM has run
     */
    public synchronized KvmVcpu createVcpu(int id) {
        checkAlive();
        if (id < 0 || id >= MAX_VCPU_IDS) {
            throw new PkvmException(Errno.EINVAL, "KVM_CREATE_VCPU: id %d is not below KVM_MAX_VCPU_IDS".formatted(Integer.toUnsignedLong(id)));
        }
        if (vcpus.size() >= MAX_VCPUS) {
            throw new PkvmException(Errno.EINVAL, "KVM_CREATE_VCPU: the VM has its %d vCPUs".formatted(MAX_VCPUS));
        }
        if (created) {
            throw new PkvmException(Errno.EBUSY, "the hyp VM exists: no more vCPUs");
        }
        for (KvmVcpu v : vcpus) {
            if (v.id() == id) {
                throw new PkvmException(Errno.EEXIST, "vCPU " + id + " exists");
            }
        }
        KvmVcpu vcpu = new KvmVcpu(this, gateway, id, vcpus.size());
        vcpus.add(vcpu);
        return vcpu;
    }

    /**
     * The host physical address backing {@code ipa}, if the host gave the guest a page there: what a
     * VMM's mapping of guest memory points at. Touching it through {@code HostMemory} faults unless
     * the guest shared the page.
     *
     * @throws PkvmException {@code ENOENT} if no page backs {@code ipa}
     */
    public synchronized long hostPhys(long ipa) {
        Long pfn = pages.get(ipa >>> Dram.PAGE_SHIFT);
        if (pfn == null) {
            throw new PkvmException(Errno.ENOENT, "no page at IPA 0x" + Long.toHexString(ipa));
        }
        return (pfn << Dram.PAGE_SHIFT) | (ipa & (PAGE_SIZE - 1));
    }

    /** How many pages the host gave this VM. */
    public synchronized int nrPages() {
        return pages.size();
    }

    /**
     * Destroys the VM. If it ever ran: {@code __pkvm_start_teardown_vm}, a reclaim of every page
     * ({@code __pkvm_reclaim_dying_guest_page}, which zeroes the guest's private pages; {@code
     * __pkvm_host_unshare_guest} for a non-protected guest), {@code __pkvm_finalize_teardown_vm};
     * the pages go back to the pool. Otherwise the handle is released ({@code __pkvm_unreserve_vm}).
     *
     * @throws PkvmException {@code EINVAL} from the hypervisor while a vCPU runs
     */
    public synchronized void destroy() {
        checkAlive();
        if (!created) {
            gateway.hostHcall(HostHcall.PKVM_UNRESERVE_VM, handle, 0, 0);
            destroyed = true;
            return;
        }
        gateway.hostHcall(HostHcall.PKVM_START_TEARDOWN_VM, handle, 0, 0);
        destroyed = true;
        for (Map.Entry<Long, Long> e : pages.entrySet()) {
            if (isProtected) {
                gateway.hostHcall(HostHcall.PKVM_RECLAIM_DYING_GUEST_PAGE, handle, e.getKey(), 0);
            } else {
                gateway.hostHcall(HostHcall.PKVM_HOST_UNSHARE_GUEST, handle, e.getKey(), 1);
            }
        }
        gateway.hostHcall(HostHcall.PKVM_FINALIZE_TEARDOWN_VM, handle, 0, 0);
        for (long pfn : pages.values()) {
            kvm.freePage(pfn);
        }
        pages.clear();
        // Finalize gave the stage-2 tables and the unused memcache pages back to the host.
        for (long pfn : memcachePages) {
            kvm.freePage(pfn);
        }
        memcachePages.clear();
    }

    // ---------------------------------------------------------------- for KvmVcpu

    /** The first run creates the hyp VM with every vCPU; memslots are fixed from here on. */
    synchronized void ensureCreated() {
        checkAlive();
        if (!created) {
            gateway.hostHcall(HostHcall.PKVM_INIT_VM, handle, vcpus.size(), isProtected ? 1 : 0);
            created = true;
        }
    }

    /**
     * A guest stage-2 fault at {@code ipa}: {@code pkvm_mem_abort} maps one host page there.
     *
     * @throws PkvmException {@code EFAULT} if no memslot holds {@code ipa} (pkvm4j has no MMIO exit)
     *     or the host already gave a page there (a page the hypervisor still will not map)
     */
    synchronized void handleGuestAbort(long ipa, int vcpuIdx) {
        if (Long.compareUnsigned(ipa, 1L << IPA_BITS) >= 0) {
            // kvm_handle_guest_abort injects an address size fault into the guest
            // (kvm_inject_size_fault); pkvm4j's guests take no exceptions, so the run ends.
            throw new PkvmException(Errno.EFAULT, "guest access to IPA 0x%x beyond the %d-bit IPA space".formatted(ipa, IPA_BITS));
        }
        long gfn = ipa >>> Dram.PAGE_SHIFT;
        Memslot slot = memslots.values().stream().filter(m -> m.contains(ipa)).findFirst()
                .orElseThrow(() -> new PkvmException(Errno.EFAULT, "guest access to IPA 0x%x outside every memslot".formatted(ipa)));
        if (pages.containsKey(gfn)) {
            throw new PkvmException(Errno.EFAULT, "guest fault on IPA 0x%x, which is already mapped".formatted(ipa));
        }
        long pfn = kvm.allocPage();
        try {
            if (isProtected) {
                topupMemcache(vcpuIdx);
                gateway.hostHcall(HostHcall.PKVM_HOST_DONATE_GUEST, pfn, gfn, 0);
            } else {
                int prot = (slot.flags & KVM_MEM_READONLY) != 0 ? Prot.R | Prot.X : Prot.RWX;
                gateway.hostHcall(HostHcall.PKVM_HOST_SHARE_GUEST, pfn, gfn, 1, prot);
            }
        } catch (PkvmException e) {
            kvm.freePage(pfn);
            throw e;
        }
        pages.put(gfn, pfn);
    }

    /**
     * {@code topup_hyp_memcache}: makes sure vCPU {@code vcpuIdx}'s memcache at EL2 holds {@link
     * #MMU_CACHE_MIN_PAGES}, giving it pool pages one at a time.
     */
    private void topupMemcache(int vcpuIdx) {
        // Of the loaded vCPU, which is vcpuIdx: the fault came from its run on this CPU.
        long have = gateway.hostHcall(HostHcall.PKVM_REFILL_MEMCACHE, 0, 0, 0);
        while (have < MMU_CACHE_MIN_PAGES) {
            long pfn = kvm.allocPage();
            try {
                have = gateway.hostHcall(HostHcall.PKVM_REFILL_MEMCACHE, pfn << Dram.PAGE_SHIFT, 1, 0);
            } catch (PkvmException e) {
                kvm.freePage(pfn);
                throw e;
            }
            memcachePages.add(pfn);
        }
    }

    private void checkAlive() {
        if (destroyed) {
            throw new PkvmException(Errno.EINVAL, "the VM is destroyed");
        }
    }
}
