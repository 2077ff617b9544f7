package org.pkvm4j.hypervisor.mem;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypMemory;

/**
 * Running guests, and the static host hypercalls of the guest transitions.
 *
 * <p>Kernel counterpart: {@code __kvm_vcpu_run} with the guest's stage-2 and its exits, {@code
 * kvm_handle_pvm_hvc64} ({@code nvhe/pkvm.c}, PKVM.md §4.7), {@code __pkvm_vcpu_in_poison_fault},
 * (the {@code handle___pkvm_*} wrappers are {@link org.pkvm4j.hypervisor.HostHcalls}). pkvm4j has no guest instruction
 * set: guest code is Java the host runs on its own thread, and each guest memory access or HVC is
 * one world switch, {@link HostHcall#PKVM_VCPU_GUEST_ACCESS} or {@link
 * HostHcall#PKVM_VCPU_GUEST_HVC}, which EL2 performs through the guest's stage-2 and answers with an
 * exit code in x1: {@link #EXIT_DONE} (x2 = the loaded value or the guest's x0), {@link
 * #EXIT_MEM_ABORT} (x2 = the faulting IPA: the host must map the page and retry) or {@link
 * #EXIT_HVC} (a call EL2 does not handle, for the host), or -EFAULT (poisoned page: {@code
 * __pkvm_vcpu_in_poison_fault}). The guest's registers pass through the host: the model cannot hide
 * Java values, only memory, from it.
 *
 * <p>The loaded vCPU: as in the kernel ({@code pkvm_load_hyp_vcpu}, {@code loaded_hyp_vcpu}), each
 * physical CPU has at most one loaded vCPU, which {@code __pkvm_vcpu_load} sets and {@code
 * __pkvm_vcpu_put} clears. Running the guest, the host's share and donation into it and its
 * memcache refill act on that vCPU and answer -EINVAL on a CPU without one. A loaded vCPU holds a
 * reference on its VM, so the VM cannot start its teardown, and a dying VM cannot be loaded: a share
 * or donation never meets a VM that is being torn down.
 */
public final class GuestVcpus {
    /** The access or call completed at EL2. */
    public static final long EXIT_DONE = 0;
    /** Stage-2 translation fault: x2 = IPA, the host maps it and re-runs. */
    public static final long EXIT_MEM_ABORT = 1;
    /** An HVC EL2 leaves to the host. */
    public static final long EXIT_HVC = 2;

    /** {@code ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID} (SMC32). */
    public static final long FEATURES = 0x8600_0000L;
    /** {@code ARM_SMCCC_VENDOR_HYP_KVM_HYP_MEMINFO_FUNC_ID}. */
    public static final long HYP_MEMINFO = 0xC600_0002L;
    /** {@code ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID}. */
    public static final long MEM_SHARE = 0xC600_0003L;
    /** {@code ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID}. */
    public static final long MEM_UNSHARE = 0xC600_0004L;

    private static final long PAGE_SIZE = 1L << Dram.PAGE_SHIFT;
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int ENOENT = -Errno.ENOENT.code();
    private static final int EFAULT = -Errno.EFAULT.code();

    private final GuestMemProtect guest;
    private final HypMemory mem;
    /** Per physical CPU, the loaded vCPU ({@code loaded_hyp_vcpu}), or null; only that CPU writes its slot. */
    private final LoadedVcpu[] loaded;

    /** A vCPU loaded on a physical CPU: its VM and index. */
    private record LoadedVcpu(HypVm vm, int idx) {
    }

    /** The guest runtime over {@code guest}'s VMs, on a machine of {@code nrCpus} CPUs. */
    public GuestVcpus(GuestMemProtect guest, int nrCpus) {
        this.guest = guest;
        this.mem = guest.memProtect().mem;
        this.loaded = new LoadedVcpu[nrCpus];
    }

    /**
     * {@code __pkvm_vcpu_load(handle, vcpu_idx)} on CPU {@code cpuId} ({@code pkvm_load_hyp_vcpu}):
     * under the VM table's lock, the VM must exist, not be dying, have that vCPU, and the vCPU must
     * not be loaded on another CPU; the load takes a reference on the VM.
     *
     * @return 0; -EINVAL otherwise, or if this CPU already has a loaded vCPU (the kernel answers
     *     nothing and loads nothing)
     */
    public int vcpuLoad(int cpuId, long handle, long vcpuIdx) {
        if (loaded[cpuId] != null) {
            return EINVAL;
        }
        VmTable vms = guest.vms();
        vms.lock.lock();
        try {
            HypVm vm = vms.getLocked(handle);
            if (vm == null || vm.dying || vcpuIdx < 0 || vcpuIdx >= vm.nrVcpus || vm.loadedOn[(int) vcpuIdx] >= 0) {
                return EINVAL;
            }
            vm.loadedOn[(int) vcpuIdx] = cpuId;
            vm.refs++;
            loaded[cpuId] = new LoadedVcpu(vm, (int) vcpuIdx);
            return 0;
        } finally {
            vms.lock.unlock();
        }
    }

    /** {@code __pkvm_vcpu_put} on CPU {@code cpuId} ({@code pkvm_put_hyp_vcpu}): 0, or -EINVAL if no vCPU is loaded there. */
    public int vcpuPut(int cpuId) {
        LoadedVcpu v = loaded[cpuId];
        if (v == null) {
            return EINVAL;
        }
        VmTable vms = guest.vms();
        vms.lock.lock();
        try {
            v.vm.loadedOn[v.idx] = -1;
            v.vm.refs--;
            loaded[cpuId] = null;
            return 0;
        } finally {
            vms.lock.unlock();
        }
    }

    /**
     * {@code handle___pkvm_host_share_guest}: {@code __pkvm_host_share_guest} into the VM of the vCPU
     * loaded on {@code cpuId}.
     *
     * @return as {@link GuestMemProtect#hostShareGuest(long, long, long, long, int)}; -EINVAL with no
     *     loaded vCPU or a protected one
     */
    public int hostShareGuest(int cpuId, long pfn, long gfn, long nrPages, int prot) {
        LoadedVcpu v = loaded[cpuId];
        if (v == null || v.vm.isProtected) {
            return EINVAL;
        }
        return guest.hostShareGuest(pfn, gfn, nrPages, v.vm, prot);
    }

    /**
     * {@code handle___pkvm_host_donate_guest}: {@code __pkvm_host_donate_guest} into the VM of the
     * vCPU loaded on {@code cpuId}, its memcache paying for the tables.
     *
     * @return as {@link GuestMemProtect#hostDonateGuest(long, long, long, int)}; -EINVAL with no
     *     loaded vCPU or a non-protected one
     */
    public int hostDonateGuest(int cpuId, long pfn, long gfn) {
        LoadedVcpu v = loaded[cpuId];
        if (v == null || !v.vm.isProtected) {
            return EINVAL;
        }
        return guest.hostDonateGuest(pfn, gfn, v.vm, v.idx);
    }

    /**
     * {@code pkvm_refill_memcache} of the vCPU loaded on {@code cpuId}.
     *
     * @return as {@link GuestMemProtect#refillMemcache(long, int, long, long)}; -EINVAL with no
     *     loaded vCPU or a non-protected one
     */
    public long refillMemcache(int cpuId, long headPa, long nrPages) {
        LoadedVcpu v = loaded[cpuId];
        if (v == null || !v.vm.isProtected) {
            return EINVAL;
        }
        return guest.refillMemcache(v.vm, v.idx, headPa, nrPages);
    }

    /**
     * A guest 8-byte load or store at {@code ipa} through the stage-2 of the vCPU loaded on {@code
     * cpuId}.
     *
     * @return x1, with x2 in {@code exit}: see the class comment; -EINVAL with no loaded vCPU
     */
    public long guestAccess(int cpuId, long ipa, boolean write, long value, GuestExit exit) {
        LoadedVcpu v = loaded[cpuId];
        if (v == null || (ipa & 7) != 0 || ipa < 0) {
            exit.set(0);
            return EINVAL;
        }
        HypVm vm = v.vm;
        long gfn = ipa >>> Dram.PAGE_SHIFT;
        vm.lock.lock();
        try {
            GuestState g = vm.state(gfn);
            if (g == GuestState.POISON) {
                exit.set(ipa);
                return EFAULT;
            }
            if (g == GuestState.NOPAGE || (write && (vm.prot(gfn) & 2) == 0)) {
                exit.set(ipa);
                return EXIT_MEM_ABORT;
            }
            long pa = (vm.pfn(gfn) << Dram.PAGE_SHIFT) | (ipa & (PAGE_SIZE - 1));
            if (write) {
                mem.store64(pa, value);
                exit.set(0);
            } else {
                exit.set(mem.load64(pa));
            }
            return EXIT_DONE;
        } finally {
            vm.lock.unlock();
        }
    }

    /**
     * {@code kvm_handle_pvm_hvc64}: an HVC of the vCPU loaded on {@code cpuId}, with x0 = {@code
     * fn}, x1..x3 = {@code a1..a3}.
     *
     * @return x1, with x2 in {@code exit}: {@link #EXIT_DONE} with the guest's x0, {@link
     *     #EXIT_MEM_ABORT} with the IPA (MEM_SHARE of an unmapped page: the faked translation fault,
     *     the HVC re-executes after the host maps it), or {@link #EXIT_HVC} with {@code fn} for a
     *     call punted to the host
     */
    public long guestHvc(int cpuId, long fn, long a1, long a2, long a3, GuestExit exit) {
        LoadedVcpu v = loaded[cpuId];
        if (v == null) {
            exit.set(0);
            return EINVAL;
        }
        long handle = v.vm.handle;
        long x0 = Smccc.RET_INVALID_PARAMETER;
        if (fn == FEATURES) {
            if (a1 == 0) {
                x0 = 1L << 0 | 1L << 2 | 1L << 3 | 1L << 4;
            }
        } else if (fn == HYP_MEMINFO) {
            if (a1 == 0 && a2 == 0 && a3 == 0) {
                x0 = PAGE_SIZE;
            }
        } else if (fn == MEM_SHARE || fn == MEM_UNSHARE) {
            if (a2 == 0 && a3 == 0 && (a1 & (PAGE_SIZE - 1)) == 0 && a1 >= 0) {
                long gfn = a1 >>> Dram.PAGE_SHIFT;
                int ret = fn == MEM_SHARE ? guest.guestShareHost(handle, gfn) : guest.guestUnshareHost(handle, gfn);
                if (ret == ENOENT && fn == MEM_SHARE) {
                    // Fake a level-3 write translation fault at the IPA and rewind ELR: the host
                    // maps the page and the HVC runs again.
                    exit.set(a1);
                    return EXIT_MEM_ABORT;
                }
                x0 = ret == 0 ? Smccc.RET_SUCCESS : Smccc.RET_INVALID_PARAMETER;
            }
        } else {
            exit.set(fn);
            return EXIT_HVC;
        }
        exit.set(x0);
        return EXIT_DONE;
    }

    /**
     * The handle of the VM whose vCPU is loaded on {@code cpuId} ({@code pkvm_get_loaded_hyp_vcpu()->vm}),
     * or -1 with none. The load holds a reference on the VM, so it stays alive until the put.
     */
    public long loadedVm(int cpuId) {
        LoadedVcpu v = loaded[cpuId];
        return v == null ? -1 : v.vm.handle;
    }

    /** Whether the VM {@code handle} is protected; null if there is no such VM. */
    public Boolean isProtected(long handle) {
        HypVm vm = guest.vm(handle);
        return vm == null ? null : vm.isProtected;
    }

    /** The guest memory side these vCPUs run on. */
    public GuestMemProtect memProtect() {
        return guest;
    }
}
