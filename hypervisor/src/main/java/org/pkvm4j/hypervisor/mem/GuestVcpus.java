package org.pkvm4j.hypervisor.mem;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypMemory;

/**
 * Running guests, and the static host hypercalls of the guest transitions.
 *
 * <p>Kernel counterpart: {@code __kvm_vcpu_run} with the guest's stage-2 and its exits, {@code
 * kvm_handle_pvm_hvc64} ({@code nvhe/pkvm.c}, PKVM.md §4.7), {@code __pkvm_vcpu_in_poison_fault},
 * and the {@code handle___pkvm_*} wrappers of {@code hyp-main.c}. pkvm4j has no guest instruction
 * set: guest code is Java the host runs on its own thread, and each guest memory access or HVC is
 * one world switch, {@link HostHcall#PKVM_VCPU_GUEST_ACCESS} or {@link
 * HostHcall#PKVM_VCPU_GUEST_HVC}, which EL2 performs through the guest's stage-2 and answers with an
 * exit code in x1: {@link #EXIT_DONE} (x2 = the loaded value or the guest's x0), {@link
 * #EXIT_MEM_ABORT} (x2 = the faulting IPA: the host must map the page and retry) or {@link
 * #EXIT_HVC} (a call EL2 does not handle, for the host), or -EFAULT (poisoned page: {@code
 * __pkvm_vcpu_in_poison_fault}). The guest's registers pass through the host: the model cannot hide
 * Java values, only memory, from it.
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

    /** The guest runtime over {@code guest}'s VMs. */
    public GuestVcpus(GuestMemProtect guest) {
        this.guest = guest;
        this.mem = guest.memProtect().mem;
    }

    /** {@code __pkvm_vcpu_load(handle, vcpu_idx)}: takes a VM reference; 0 or -EINVAL. */
    public int vcpuLoad(long handle, long vcpuIdx) {
        HypVm vm = guest.vm(handle);
        if (vm == null || vcpuIdx < 0 || vcpuIdx >= vm.nrVcpus || !guest.vms().load(vm)) {
            return EINVAL;
        }
        return 0;
    }

    /** {@code __pkvm_vcpu_put(handle)}: drops the reference; 0 or -EINVAL. */
    public int vcpuPut(long handle) {
        HypVm vm = guest.vm(handle);
        return vm != null && guest.vms().put(vm) ? 0 : EINVAL;
    }

    /**
     * A guest 8-byte load or store at {@code ipa} through the guest stage-2.
     *
     * @return {x1, x2}: see the class comment
     */
    public long[] guestAccess(long handle, long ipa, boolean write, long value) {
        HypVm vm = guest.vm(handle);
        if (vm == null || vm.refs == 0 || (ipa & 7) != 0 || ipa < 0) {
            return new long[] {EINVAL, 0};
        }
        long gfn = ipa >>> Dram.PAGE_SHIFT;
        vm.lock.lock();
        try {
            GuestState g = vm.state(gfn);
            if (g == GuestState.POISON) {
                return new long[] {EFAULT, ipa};
            }
            if (g == GuestState.NOPAGE || (write && (vm.prot(gfn) & 2) == 0)) {
                return new long[] {EXIT_MEM_ABORT, ipa};
            }
            long pa = (vm.pfn(gfn) << Dram.PAGE_SHIFT) | (ipa & (PAGE_SIZE - 1));
            if (write) {
                mem.store64(pa, value);
                return new long[] {EXIT_DONE, 0};
            }
            return new long[] {EXIT_DONE, mem.load64(pa)};
        } finally {
            vm.lock.unlock();
        }
    }

    /**
     * {@code kvm_handle_pvm_hvc64}: a guest HVC with x0 = {@code fn}, x1..x3 = {@code a1..a3}.
     *
     * @return {x1, x2}: {@link #EXIT_DONE} with the guest's x0, {@link #EXIT_MEM_ABORT} with the IPA
     *     (MEM_SHARE of an unmapped page: the faked translation fault, the HVC re-executes after the
     *     host maps it), or {@link #EXIT_HVC} for a call punted to the host
     */
    public long[] guestHvc(long handle, long fn, long a1, long a2, long a3) {
        HypVm vm = guest.vm(handle);
        if (vm == null || vm.refs == 0) {
            return new long[] {EINVAL, 0};
        }
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
                    return new long[] {EXIT_MEM_ABORT, a1};
                }
                x0 = ret == 0 ? Smccc.RET_SUCCESS : Smccc.RET_INVALID_PARAMETER;
            }
        } else {
            return new long[] {EXIT_HVC, fn};
        }
        return new long[] {EXIT_DONE, x0};
    }

    // ---------------------------------------------------------------- handle___pkvm_* wrappers

    private Boolean isProtected(long handle) {
        HypVm vm = guest.vm(handle);
        return vm == null ? null : vm.isProtected;
    }

    /** Binds every guest-related static host hypercall of {@link HostHcall} for the dispatch table. */
    public void handle(HostHcall call, Cpu cpu, UserPtRegs regs) {
        long a1 = regs.get(1);
        long a2 = regs.get(2);
        long a3 = regs.get(3);
        VmTable vms = guest.vms();
        switch (call) {
            case PKVM_RESERVE_VM -> regs.set(1, vms.reserveVm());
            case PKVM_UNRESERVE_VM -> regs.set(1, vms.unreserveVm(a1));
            case PKVM_INIT_VM -> regs.set(1, vms.initVm(a1, a2, a3 != 0));
            // The wrappers refuse the np-guest calls for a protected VM and donation to a
            // non-protected one (-EINVAL), as handle___pkvm_host_{share,unshare,donate}_guest.
            case PKVM_HOST_SHARE_GUEST -> regs.set(1, isProtected(a3 & 0xFFFF) != Boolean.FALSE ? EINVAL
                    : guest.hostShareGuest(a1, a2, a3 >>> 32, a3 & 0xFFFF, (int) (a3 >>> 16) & 0xFFFF));
            case PKVM_HOST_UNSHARE_GUEST -> regs.set(1, isProtected(a3) != Boolean.FALSE ? EINVAL
                    : guest.hostUnshareGuest(a1, a2, a3));
            case PKVM_HOST_DONATE_GUEST -> regs.set(1, isProtected(a3 & 0xFFFF) != Boolean.TRUE || (a3 >>> 32) != 0 ? EINVAL
                    : guest.hostDonateGuest(a1, a2, a3 & 0xFFFF, (int) (a3 >>> 16) & 0xFFFF));
            case PKVM_REFILL_MEMCACHE -> regs.set(1, isProtected(a1 & 0xFFFF) != Boolean.TRUE || (a1 >>> 32) != 0 ? EINVAL
                    : guest.refillMemcache(a1 & 0xFFFF, (int) (a1 >>> 16) & 0xFFFF, a2, a3));
            case PKVM_RECLAIM_DYING_GUEST_PAGE -> regs.set(1, guest.reclaimDyingGuestPage(a1, a2));
            case PKVM_HOST_FORCE_RECLAIM_PAGE_GUEST -> regs.set(1, guest.hostForceReclaimPageGuest(a1));
            case PKVM_START_TEARDOWN_VM -> regs.set(1, vms.startTeardownVm(a1));
            case PKVM_FINALIZE_TEARDOWN_VM -> regs.set(1, guest.finalizeTeardownVm(a1));
            case PKVM_VCPU_LOAD -> regs.set(1, vcpuLoad(a1, a2));
            case PKVM_VCPU_PUT -> regs.set(1, vcpuPut(a1));
            case PKVM_VCPU_GUEST_ACCESS -> {
                long[] r = guestAccess(a1 & 0xFFFF_FFFFL, a2, (a1 >>> 32) != 0, a3);
                regs.set(1, r[0]);
                regs.set(2, r[1]);
            }
            case PKVM_VCPU_GUEST_HVC -> {
                long[] r = guestHvc(a1, a2, a3, regs.get(4), regs.get(5));
                regs.set(1, r[0]);
                regs.set(2, r[1]);
            }
            default -> throw new IllegalArgumentException("not a guest hypercall: " + call.symbol());
        }
    }
}
