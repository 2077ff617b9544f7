package org.pkvm4j.hypervisor;

import java.util.EnumMap;
import java.util.Map;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.hypervisor.mem.GuestExit;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.hypervisor.module.El2Modules;
import org.pkvm4j.hypervisor.traps.HypHeap;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HostHcall;

/**
 * The static host hypercalls, every one in this file: {@code hyp-main.c}'s {@code host_hcall[]}
 * and its {@code handle___X} wrappers, which unpack the host's registers, check what the wrapper
 * checks, call a worker that takes plain values and write its result to x1 (and x2).
 *
 * <p>The table is one exhaustive {@code switch} over {@link HostHcall}: a call added there without
 * a wrapper here does not compile. Every wrapper is allocation-free: the guest world switches leave
 * x2 in this CPU's {@link GuestExit}, made once at init.
 */
public final class HostHcalls {
    private static final long EINVAL = Errno.EINVAL.negated();

    private final El2Modules modules;
    private final Deprivilege deprivilege;
    private final MemProtect memProtect;
    private final GuestVcpus vcpus;
    private final GuestMemProtect guest;
    private final VmTable vms;
    private final GuestExit[] exits;
    private final HypHeap heap;

    private HostHcalls(El2Modules modules, Deprivilege deprivilege, MemProtect memProtect, GuestVcpus vcpus, int nrCpus,
            HypHeap heap) {
        this.heap = heap;
        this.modules = modules;
        this.deprivilege = deprivilege;
        this.memProtect = memProtect;
        this.vcpus = vcpus;
        this.guest = vcpus.memProtect();
        this.vms = guest.vms();
        this.exits = new GuestExit[nrCpus];
        for (int i = 0; i < nrCpus; i++) {
            exits[i] = new GuestExit();
        }
    }

    /** {@code host_hcall[]} over these workers, for a machine of {@code nrCpus} CPUs. */
    public static HostHcallTable table(El2Modules modules, Deprivilege deprivilege, MemProtect memProtect, GuestVcpus vcpus,
            int nrCpus) {
        return table(modules, deprivilege, memProtect, vcpus, nrCpus, null);
    }

    /** As the other {@code table}, with the EL2 heap {@code heap} the host refills (null: none, the refill answers -EOPNOTSUPP). */
    public static HostHcallTable table(El2Modules modules, Deprivilege deprivilege, MemProtect memProtect, GuestVcpus vcpus,
            int nrCpus, HypHeap heap) {
        HostHcalls h = new HostHcalls(modules, deprivilege, memProtect, vcpus, nrCpus, heap);
        Map<HostHcall, HostHcallHandler> table = new EnumMap<>(HostHcall.class);
        for (HostHcall call : HostHcall.values()) {
            table.put(call, h.handler(call));
        }
        return HostHcallTable.of(table);
    }

    private HostHcallHandler handler(HostHcall call) {
        return switch (call) {
            case PKVM_ALLOC_MODULE_VA -> this::allocModuleVa;
            case PKVM_UNMAP_MODULE_PAGE -> this::unmapModulePage;
            case PKVM_INIT_MODULE -> this::initModule;
            case PKVM_REGISTER_HCALL -> this::registerHcall;
            case PKVM_PROT_FINALIZE -> this::protFinalize;
            case PKVM_HOST_SHARE_HYP -> this::hostShareHyp;
            case PKVM_HOST_UNSHARE_HYP -> this::hostUnshareHyp;
            case PKVM_RESERVE_VM -> this::reserveVm;
            case PKVM_UNRESERVE_VM -> this::unreserveVm;
            case PKVM_INIT_VM -> this::initVm;
            case PKVM_HOST_SHARE_GUEST -> this::hostShareGuest;
            case PKVM_HOST_UNSHARE_GUEST -> this::hostUnshareGuest;
            case PKVM_HOST_DONATE_GUEST -> this::hostDonateGuest;
            case PKVM_RECLAIM_DYING_GUEST_PAGE -> this::reclaimDyingGuestPage;
            case PKVM_HOST_FORCE_RECLAIM_PAGE_GUEST -> this::hostForceReclaimPageGuest;
            case PKVM_START_TEARDOWN_VM -> this::startTeardownVm;
            case PKVM_FINALIZE_TEARDOWN_VM -> this::finalizeTeardownVm;
            case PKVM_VCPU_LOAD -> this::vcpuLoad;
            case PKVM_VCPU_PUT -> this::vcpuPut;
            case PKVM_VCPU_GUEST_ACCESS -> this::vcpuGuestAccess;
            case PKVM_VCPU_GUEST_HVC -> this::vcpuGuestHvc;
            case PKVM_REFILL_MEMCACHE -> this::refillMemcache;
            case PKVM_HYP_ALLOC_REFILL -> this::hypAllocRefill;
        };
    }

    // ---------------------------------------------------------------- modules (nvhe/modules.c)

    /** {@code handle___pkvm_alloc_module_va}: x1 = nr_pages; x1 = the VA (the load's token) or -errno. */
    private void allocModuleVa(Cpu cpu, UserPtRegs regs) {
        regs.set(1, modules.allocModuleVa(regs.get(1)));
    }

    /** {@code handle___pkvm_init_module}: x1 = PA of the placed image, x2 = token, x3 = hyp VA of the init symbol. */
    private void initModule(Cpu cpu, UserPtRegs regs) {
        regs.set(1, modules.initModule(cpu, regs.get(1), regs.get(2), regs.get(3)));
    }

    /** {@code handle___pkvm_register_hcall}: x1 = hyp VA of the handler; x1 = the new hypercall id or -errno. */
    private void registerHcall(Cpu cpu, UserPtRegs regs) {
        regs.set(1, modules.registerHcall(regs.get(1)));
    }

    /** {@code handle___pkvm_unmap_module_page}: x1 = token; unloads that module. */
    private void unmapModulePage(Cpu cpu, UserPtRegs regs) {
        regs.set(1, modules.unmapModule(regs.get(1)));
    }

    // ---------------------------------------------------------------- deprivilege

    /** {@code handle___pkvm_prot_finalize}: deprivileges the calling CPU; x1 = 0 or -EPERM. */
    private void protFinalize(Cpu cpu, UserPtRegs regs) {
        regs.set(1, deprivilege.protFinalize(cpu.id()));
    }

    // ---------------------------------------------------------------- hyp memory

    /** {@code handle___pkvm_host_share_hyp}: x1 = pfn. */
    private void hostShareHyp(Cpu cpu, UserPtRegs regs) {
        regs.set(1, memProtect.hostShareHyp(regs.get(1)));
    }

    /** {@code handle___pkvm_host_unshare_hyp}: x1 = pfn. */
    private void hostUnshareHyp(Cpu cpu, UserPtRegs regs) {
        regs.set(1, memProtect.hostUnshareHyp(regs.get(1)));
    }

    // ---------------------------------------------------------------- VMs

    /** {@code handle___pkvm_reserve_vm}: x1 = the handle, or -errno. */
    private void reserveVm(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vms.reserveVm());
    }

    /** {@code handle___pkvm_unreserve_vm}: x1 = handle. */
    private void unreserveVm(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vms.unreserveVm(regs.get(1)));
    }

    /** {@code handle___pkvm_init_vm}: x1 = handle, x2 = vCPUs, x3 = protected (non-zero). */
    private void initVm(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vms.initVm(regs.get(1), regs.get(2), regs.get(3) != 0));
    }

    /** {@code handle___pkvm_start_teardown_vm}: x1 = handle. */
    private void startTeardownVm(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vms.startTeardownVm(regs.get(1)));
    }

    /** {@code handle___pkvm_finalize_teardown_vm}: x1 = handle. */
    private void finalizeTeardownVm(Cpu cpu, UserPtRegs regs) {
        regs.set(1, guest.finalizeTeardownVm(regs.get(1)));
    }

    // ---------------------------------------------------------------- guest memory
    // x3 (or x1) packs handle | vcpu_idx << 16 | nr_pages << 32, as the host's vcpu argument.

    /**
     * {@code handle___pkvm_host_share_guest}: x1 = pfn, x2 = gfn, x3 = handle | vcpu << 16 |
     * nr_pages << 32; -EINVAL for a protected VM (its memory is donated, never shared).
     */
    private void hostShareGuest(Cpu cpu, UserPtRegs regs) {
        long a3 = regs.get(3);
        long handle = a3 & 0xFFFF;
        regs.set(1, vcpus.isProtected(handle) != Boolean.FALSE ? EINVAL
                : guest.hostShareGuest(regs.get(1), regs.get(2), a3 >>> 32, handle, (int) (a3 >>> 16) & 0xFFFF));
    }

    /** {@code handle___pkvm_host_unshare_guest}: x1 = gfn, x2 = nr_pages, x3 = handle; -EINVAL for a protected VM. */
    private void hostUnshareGuest(Cpu cpu, UserPtRegs regs) {
        long handle = regs.get(3);
        regs.set(1, vcpus.isProtected(handle) != Boolean.FALSE ? EINVAL
                : guest.hostUnshareGuest(regs.get(1), regs.get(2), handle));
    }

    /** {@code handle___pkvm_host_donate_guest}: x1 = pfn, x2 = gfn, x3 = handle | vcpu << 16; only to a protected VM, one page. */
    private void hostDonateGuest(Cpu cpu, UserPtRegs regs) {
        long a3 = regs.get(3);
        long handle = a3 & 0xFFFF;
        regs.set(1, vcpus.isProtected(handle) != Boolean.TRUE || (a3 >>> 32) != 0 ? EINVAL
                : guest.hostDonateGuest(regs.get(1), regs.get(2), handle, (int) (a3 >>> 16) & 0xFFFF));
    }

    /** {@code pkvm_refill_memcache}: x1 = handle | vcpu << 16, x2 = head PA, x3 = nr_pages; only for a protected VM. */
    private void refillMemcache(Cpu cpu, UserPtRegs regs) {
        long a1 = regs.get(1);
        long handle = a1 & 0xFFFF;
        regs.set(1, vcpus.isProtected(handle) != Boolean.TRUE || (a1 >>> 32) != 0 ? EINVAL
                : guest.refillMemcache(handle, (int) (a1 >>> 16) & 0xFFFF, regs.get(2), regs.get(3)));
    }

    /** {@code handle___pkvm_reclaim_dying_guest_page}: x1 = handle, x2 = gfn. */
    private void reclaimDyingGuestPage(Cpu cpu, UserPtRegs regs) {
        regs.set(1, guest.reclaimDyingGuestPage(regs.get(1), regs.get(2)));
    }

    /** {@code handle___pkvm_host_force_reclaim_page_guest}: x1 = phys. */
    private void hostForceReclaimPageGuest(Cpu cpu, UserPtRegs regs) {
        regs.set(1, guest.hostForceReclaimPageGuest(regs.get(1)));
    }

    // ---------------------------------------------------------------- vCPUs

    /** {@code handle___pkvm_vcpu_load}: x1 = handle, x2 = vcpu_idx. */
    private void vcpuLoad(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vcpus.vcpuLoad(regs.get(1), regs.get(2)));
    }

    /** {@code handle___pkvm_vcpu_put}: x1 = handle. */
    private void vcpuPut(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vcpus.vcpuPut(regs.get(1)));
    }

    /** {@code handle___kvm_vcpu_run}, an access: x1 = handle | write << 32, x2 = IPA, x3 = the value to store. */
    private void vcpuGuestAccess(Cpu cpu, UserPtRegs regs) {
        long a1 = regs.get(1);
        GuestExit exit = exits[cpu.id()];
        regs.set(1, vcpus.guestAccess(a1 & 0xFFFF_FFFFL, regs.get(2), (a1 >>> 32) != 0, regs.get(3), exit));
        regs.set(2, exit.x2());
    }

    /** {@code handle___kvm_vcpu_run}, an HVC: x1 = handle, x2 = the guest's x0 (function), x3..x5 = its x1..x3. */
    private void vcpuGuestHvc(Cpu cpu, UserPtRegs regs) {
        GuestExit exit = exits[cpu.id()];
        regs.set(1, vcpus.guestHvc(regs.get(1), regs.get(2), regs.get(3), regs.get(4), regs.get(5), exit));
        regs.set(2, exit.x2());
    }

    // ---------------------------------------------------------------- the EL2 heap

    /** {@code handle___pkvm_hyp_alloc_mgt_refill}: x1 = pfn of the donated page. */
    private void hypAllocRefill(Cpu cpu, UserPtRegs regs) {
        regs.set(1, heap == null ? Errno.EOPNOTSUPP.negated() : heap.refill(regs.get(1)));
    }
}
