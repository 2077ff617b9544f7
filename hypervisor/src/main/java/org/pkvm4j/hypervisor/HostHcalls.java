package org.pkvm4j.hypervisor;

import java.util.EnumMap;
import java.util.Map;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.mem.GuestExit;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.hypervisor.module.El2Modules;
import org.pkvm4j.hypervisor.smc.GuestSmc;
import org.pkvm4j.hypervisor.traps.HypHeap;
import org.pkvm4j.hypervisor.traps.HypTracing;
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
    private final KvmIommu iommu;
    private final PkvmDevices devices;
    private final GuestSmc guestSmc;
    private final HypHeap heap;
    private final HypTracing tracing;

    private HostHcalls(El2Modules modules, Deprivilege deprivilege, MemProtect memProtect, GuestVcpus vcpus, int nrCpus,
            KvmIommu iommu, PkvmDevices devices, GuestSmc guestSmc, HypHeap heap, HypTracing tracing) {
        this.heap = heap;
        this.tracing = tracing;
        this.iommu = iommu;
        this.devices = devices;
        this.guestSmc = guestSmc;
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
            int nrCpus, KvmIommu iommu, PkvmDevices devices, GuestSmc guestSmc, HypHeap heap) {
        return table(modules, deprivilege, memProtect, vcpus, nrCpus, iommu, devices, guestSmc, heap, null);
    }

    /** As the other, with the modules' hyp event ids in {@code tracing} (null: {@code __pkvm_enable_event} is not supported). */
    public static HostHcallTable table(El2Modules modules, Deprivilege deprivilege, MemProtect memProtect, GuestVcpus vcpus,
            int nrCpus, KvmIommu iommu, PkvmDevices devices, GuestSmc guestSmc, HypHeap heap, HypTracing tracing) {
        HostHcalls h = new HostHcalls(modules, deprivilege, memProtect, vcpus, nrCpus, iommu, devices, guestSmc, heap, tracing);
        Map<HostHcall, HostHcallHandler> table = new EnumMap<>(HostHcall.class);
        for (HostHcall call : HostHcall.values()) {
            table.put(call, h.handler(call));
        }
        return HostHcallTable.of(table);
    }

    private HostHcallHandler handler(HostHcall call) {
        // One class for every call, not a method reference each: the hyp layer is defined anew on
        // every boot, and each method reference spun and linked a class of its own on each (26 per
        // boot; ADR 0018).
        return new Wrapper(this, call);
    }

    /** {@code host_hcall[call]}: the call's {@code handle___X} wrapper. */
    private record Wrapper(HostHcalls h, HostHcall call) implements HostHcallHandler {
        @Override
        public void handle(Cpu cpu, UserPtRegs regs) {
            h.dispatch(call, cpu, regs);
        }
    }

    /**
     * Runs {@code call}'s wrapper; the switch is exhaustive, so a call without one does not compile.
     * A switch expression, not a statement with {@code case null} (also checked for exhaustiveness):
     * that one links an {@code enumSwitch} bootstrap in every boot's hyp layer.
     */
    private void dispatch(HostHcall call, Cpu cpu, UserPtRegs regs) {
        int unused = switch (call) {
            case PKVM_ALLOC_MODULE_VA -> {
                allocModuleVa(cpu, regs);
                yield 0;
            }
            case PKVM_UNMAP_MODULE_PAGE -> {
                unmapModulePage(cpu, regs);
                yield 0;
            }
            case PKVM_INIT_MODULE -> {
                initModule(cpu, regs);
                yield 0;
            }
            case PKVM_REGISTER_HCALL -> {
                registerHcall(cpu, regs);
                yield 0;
            }
            case PKVM_PROT_FINALIZE -> {
                protFinalize(cpu, regs);
                yield 0;
            }
            case PKVM_HOST_SHARE_HYP -> {
                hostShareHyp(cpu, regs);
                yield 0;
            }
            case PKVM_HOST_UNSHARE_HYP -> {
                hostUnshareHyp(cpu, regs);
                yield 0;
            }
            case PKVM_RESERVE_VM -> {
                reserveVm(cpu, regs);
                yield 0;
            }
            case PKVM_UNRESERVE_VM -> {
                unreserveVm(cpu, regs);
                yield 0;
            }
            case PKVM_INIT_VM -> {
                initVm(cpu, regs);
                yield 0;
            }
            case PKVM_HOST_SHARE_GUEST -> {
                hostShareGuest(cpu, regs);
                yield 0;
            }
            case PKVM_HOST_UNSHARE_GUEST -> {
                hostUnshareGuest(cpu, regs);
                yield 0;
            }
            case PKVM_HOST_DONATE_GUEST -> {
                hostDonateGuest(cpu, regs);
                yield 0;
            }
            case PKVM_RECLAIM_DYING_GUEST_PAGE -> {
                reclaimDyingGuestPage(cpu, regs);
                yield 0;
            }
            case PKVM_HOST_FORCE_RECLAIM_PAGE_GUEST -> {
                hostForceReclaimPageGuest(cpu, regs);
                yield 0;
            }
            case PKVM_START_TEARDOWN_VM -> {
                startTeardownVm(cpu, regs);
                yield 0;
            }
            case PKVM_FINALIZE_TEARDOWN_VM -> {
                finalizeTeardownVm(cpu, regs);
                yield 0;
            }
            case PKVM_VCPU_LOAD -> {
                vcpuLoad(cpu, regs);
                yield 0;
            }
            case PKVM_VCPU_PUT -> {
                vcpuPut(cpu, regs);
                yield 0;
            }
            case PKVM_VCPU_GUEST_ACCESS -> {
                vcpuGuestAccess(cpu, regs);
                yield 0;
            }
            case PKVM_VCPU_GUEST_HVC -> {
                vcpuGuestHvc(cpu, regs);
                yield 0;
            }
            case PKVM_REFILL_MEMCACHE -> {
                refillMemcache(cpu, regs);
                yield 0;
            }
            case PKVM_IOMMU_REFILL -> {
                iommuRefill(cpu, regs);
                yield 0;
            }
            case PKVM_DEVICE_ASSIGN -> {
                deviceAssign(cpu, regs);
                yield 0;
            }
            case PKVM_VCPU_GUEST_SMC -> {
                vcpuGuestSmc(cpu, regs);
                yield 0;
            }
            case PKVM_HYP_ALLOC_REFILL -> {
                hypAllocRefill(cpu, regs);
                yield 0;
            }
            case PKVM_ENABLE_EVENT -> {
                enableEvent(cpu, regs);
                yield 0;
            }
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
        long ret = guest.finalizeTeardownVm(regs.get(1));
        if (ret == 0) {
            devices.releaseVm(regs.get(1)); // a failed reset throws: a hyp panic, as the kernel's
        }
        regs.set(1, ret);
    }

    // ---------------------------------------------------------------- guest memory
    // Share, donate and refill act on the vCPU loaded on this CPU (pkvm_get_loaded_hyp_vcpu), as in
    // the kernel: -EINVAL on a CPU without one.

    /**
     * {@code handle___pkvm_host_share_guest}: x1 = pfn, x2 = gfn, x3 = nr_pages, x4 = prot, into the
     * loaded vCPU's VM; -EINVAL with none, or a protected one (its memory is donated, never shared).
     */
    private void hostShareGuest(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vcpus.hostShareGuest(cpu.id(), regs.get(1), regs.get(2), regs.get(3), (int) regs.get(4)));
    }

    /** {@code handle___pkvm_host_unshare_guest}: x1 = handle, x2 = gfn, x3 = nr_pages; -EINVAL for a protected VM. */
    private void hostUnshareGuest(Cpu cpu, UserPtRegs regs) {
        long handle = regs.get(1);
        regs.set(1, vcpus.isProtected(handle) != Boolean.FALSE ? EINVAL
                : guest.hostUnshareGuest(regs.get(2), regs.get(3), handle));
    }

    /** {@code handle___pkvm_host_donate_guest}: x1 = pfn, x2 = gfn, one page into the loaded vCPU's protected VM. */
    private void hostDonateGuest(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vcpus.hostDonateGuest(cpu.id(), regs.get(1), regs.get(2)));
    }

    /** {@code pkvm_refill_memcache}: x1 = head PA, x2 = nr_pages, into the loaded vCPU's memcache; only for a protected VM. */
    private void refillMemcache(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vcpus.refillMemcache(cpu.id(), regs.get(1), regs.get(2)));
    }

    /** {@code kvm_iommu_refill}: x1 = pfn, x2 = pages, x3 = atomic pool if non-zero; x1 = 0 or -errno, x2 = pages requested. */
    private void iommuRefill(Cpu cpu, UserPtRegs regs) {
        long[] requested = new long[1];
        regs.set(1, iommu.refill(regs.get(1), regs.get(2), regs.get(3) != 0, requested));
        regs.set(2, requested[0]);
    }

    /** {@code __pkvm_device_assign}: x1 = protected VM handle, x2 = the device's register PA; x1 = 0 or -errno. */
    private void deviceAssign(Cpu cpu, UserPtRegs regs) {
        long handle = regs.get(1);
        regs.set(1, vcpus.isProtected(handle) != Boolean.TRUE ? EINVAL : devices.assign(regs.get(2), handle));
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

    /** {@code handle___pkvm_vcpu_load}: x1 = handle, x2 = vcpu_idx; loads it on this CPU. */
    private void vcpuLoad(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vcpus.vcpuLoad(cpu.id(), regs.get(1), regs.get(2)));
    }

    /** {@code handle___pkvm_vcpu_put}: puts the vCPU loaded on this CPU. */
    private void vcpuPut(Cpu cpu, UserPtRegs regs) {
        regs.set(1, vcpus.vcpuPut(cpu.id()));
    }

    /** {@code handle___kvm_vcpu_run} of the loaded vCPU, an access: x1 = write (non-zero), x2 = IPA, x3 = the value to store. */
    private void vcpuGuestAccess(Cpu cpu, UserPtRegs regs) {
        GuestExit exit = exits[cpu.id()];
        regs.set(1, vcpus.guestAccess(cpu.id(), regs.get(2), regs.get(1) != 0, regs.get(3), exit));
        regs.set(2, exit.x2());
    }

    /** {@code handle___kvm_vcpu_run} of the loaded vCPU, an HVC: x2 = the guest's x0 (function), x3..x5 = its x1..x3. */
    private void vcpuGuestHvc(Cpu cpu, UserPtRegs regs) {
        GuestExit exit = exits[cpu.id()];
        regs.set(1, vcpus.guestHvc(cpu.id(), regs.get(2), regs.get(3), regs.get(4), regs.get(5), exit));
        regs.set(2, exit.x2());
    }

    /** {@code handle___kvm_vcpu_run} of the loaded vCPU, an SMC: x2 = the guest's x0 (function), x3..x5 = its x1..x3. */
    private void vcpuGuestSmc(Cpu cpu, UserPtRegs regs) {
        GuestExit exit = exits[cpu.id()];
        long fn = regs.get(2);
        long x1;
        if (guestSmc == null) {
            exit.set(fn, 0, 0, 0);
            x1 = vcpus.loadedVm(cpu.id()) >= 0 ? GuestVcpus.EXIT_HVC : EINVAL;
        } else {
            x1 = guestSmc.guestSmc(cpu, fn, regs.get(3), regs.get(4), regs.get(5), exit);
        }
        regs.set(1, x1);
        regs.set(2, exit.x2());
        regs.set(3, exit.x3());
        regs.set(4, exit.x4());
        regs.set(5, exit.x5());
    }

    // ---------------------------------------------------------------- the EL2 heap

    /** {@code handle___pkvm_hyp_alloc_mgt_refill}: x1 = pfn of the donated page. */
    private void hypAllocRefill(Cpu cpu, UserPtRegs regs) {
        regs.set(1, heap == null ? Errno.EOPNOTSUPP.negated() : heap.refill(regs.get(1)));
    }

    /** {@code handle___pkvm_enable_event}: x1 = event id, x2 = enable; x1 = 0 or -errno. */
    private void enableEvent(Cpu cpu, UserPtRegs regs) {
        regs.set(1, tracing == null ? Errno.EOPNOTSUPP.negated() : tracing.enableEvent(regs.get(1), regs.get(2) != 0));
    }
}
