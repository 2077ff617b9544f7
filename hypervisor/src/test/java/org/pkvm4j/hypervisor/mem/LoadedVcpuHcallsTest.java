package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/**
 * The guest-memory host hypercalls act on the vCPU loaded on the calling CPU, through raw registers
 * as the host issues them. Kernel counterparts: {@code handle___pkvm_host_share_guest} and {@code
 * handle___pkvm_host_donate_guest} ({@code pkvm_get_loaded_hyp_vcpu}, -EINVAL without one), {@code
 * pkvm_load_hyp_vcpu} / {@code pkvm_put_hyp_vcpu} ({@code nvhe/pkvm.c}), {@code
 * __pkvm_start_teardown_vm}, and a guest's SMC ({@code kvm_handle_pvm_smc64}).
 */
class LoadedVcpuHcallsTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final long BASE_PFN = Dram.BASE / PAGE;
    private static final long EINVAL = Errno.EINVAL.negated();
    private static final long SIP_CALL = 0xC200_0010L;

    private final RawHostHcalls hyp = new RawHostHcalls(2, 64);

    private long newVm(boolean isProtected, int nrVcpus) {
        long h = hyp.hvc(0, HostHcall.PKVM_RESERVE_VM);
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_INIT_VM, h, nrVcpus, isProtected ? 1 : 0));
        return h;
    }

    /** {@code handle___pkvm_host_share_guest}: no loaded vCPU, or one loaded on another CPU, is -EINVAL. */
    @Test
    void aShareNeedsAVcpuLoadedOnThisCpu() {
        long np = newVm(false, 1);
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_HOST_SHARE_GUEST, BASE_PFN + 1, 1, 1, Prot.RW), "nothing loaded");
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_VCPU_LOAD, np, 0));
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_HOST_SHARE_GUEST, BASE_PFN + 1, 1, 1, Prot.RW), "loaded on CPU 1");
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_HOST_SHARE_GUEST, BASE_PFN + 1, 1, 1, Prot.RW));
        assertEquals(PageState.SHARED_OWNED, hyp.mp.hostState(BASE_PFN + 1));
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_VCPU_PUT));
        assertEquals(EINVAL, hyp.hvc(1, HostHcall.PKVM_HOST_SHARE_GUEST, BASE_PFN + 2, 2, 1, Prot.RW), "put");
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_HOST_UNSHARE_GUEST, np, 1, 1), "the unshare names its VM");
        assertEquals(PageState.OWNED, hyp.mp.hostState(BASE_PFN + 1));
    }

    /**
     * {@code handle___pkvm_host_donate_guest} and the memcache refill: on the loaded vCPU only, and
     * only of a protected VM; a non-protected VM's loaded vCPU takes no donation.
     */
    @Test
    void aDonationNeedsAProtectedVcpuLoadedOnThisCpu() {
        long p = newVm(true, 2);
        long np = newVm(false, 1);
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_REFILL_MEMCACHE, (BASE_PFN + 40) * PAGE, 1), "nothing loaded");
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_HOST_DONATE_GUEST, BASE_PFN + 1, 1), "nothing loaded");
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_VCPU_LOAD, p, 1));
        for (int i = 0; i < HypVm.STAGE2_MIN_PAGES; i++) {
            assertEquals(i + 1, hyp.hvc(0, HostHcall.PKVM_REFILL_MEMCACHE, (BASE_PFN + 40 + i) * PAGE, 1));
        }
        assertEquals(HypVm.STAGE2_MIN_PAGES, hyp.gm.memcacheAndTables(p, 1)[0], "vCPU 1's memcache, the loaded one");
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_HOST_DONATE_GUEST, BASE_PFN + 1, 1));
        assertEquals(GuestState.OWNED, hyp.gm.guestState(p, 1));
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_VCPU_PUT));
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_VCPU_LOAD, np, 0));
        assertEquals(EINVAL, hyp.hvc(1, HostHcall.PKVM_HOST_DONATE_GUEST, BASE_PFN + 2, 2), "a non-protected VM");
        assertEquals(EINVAL, hyp.hvc(1, HostHcall.PKVM_REFILL_MEMCACHE, (BASE_PFN + 50) * PAGE, 1), "a non-protected VM");
        assertEquals(PageState.OWNED, hyp.mp.hostState(BASE_PFN + 2));
    }

    /**
     * A guest's SMC ({@code kvm_handle_pvm_smc64}) traps while its vCPU runs: the host's world switch
     * names no VM, the SMC is the loaded vCPU's, and the handlers are told that vCPU's VM; with no
     * loaded vCPU it is -EINVAL and reaches no handler.
     */
    @Test
    void aGuestSmcIsTheLoadedVcpus() {
        List<Long> told = new ArrayList<>();
        hyp.smc.registerGuestSmcHandler((regs, handle) -> {
            told.add(handle);
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
            return true;
        });
        long p = newVm(true, 1);
        long other = newVm(true, 1);
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_VCPU_GUEST_SMC, 0, SIP_CALL, 1), "nothing loaded");
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_VCPU_LOAD, p, 0));
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_VCPU_GUEST_SMC, 0, SIP_CALL, 1), "loaded on CPU 1");
        assertEquals(GuestVcpus.EXIT_DONE, hyp.hvc(1, HostHcall.PKVM_VCPU_GUEST_SMC, other, SIP_CALL, 1),
                "x1 names nothing: a stale handle there changes nothing");
        assertEquals(List.of(p), told, "the loaded vCPU's VM");
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_VCPU_PUT));
        assertEquals(EINVAL, hyp.hvc(1, HostHcall.PKVM_VCPU_GUEST_SMC, 0, SIP_CALL, 1), "put");
        assertEquals(1, told.size());
    }

    /** {@code pkvm_load_hyp_vcpu}: one vCPU per CPU, each vCPU on one CPU, a vCPU the VM has; put without a load is refused. */
    @Test
    void loadRules() {
        long p = newVm(true, 2);
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_VCPU_PUT), "nothing loaded");
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_VCPU_LOAD, p, 2), "no vCPU 2");
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_VCPU_LOAD, p + 1, 0), "no such VM");
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_VCPU_LOAD, p, 0));
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_VCPU_LOAD, p, 1), "this CPU has a loaded vCPU");
        assertEquals(EINVAL, hyp.hvc(1, HostHcall.PKVM_VCPU_LOAD, p, 0), "vCPU 0 is loaded on CPU 0");
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_VCPU_LOAD, p, 1));
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_VCPU_PUT));
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_VCPU_PUT));
    }

    /**
     * {@code __pkvm_start_teardown_vm} refuses a VM with a loaded vCPU and {@code
     * pkvm_load_hyp_vcpu} a dying one: a share into a VM that is being torn down has no vCPU to go
     * through, and is -EINVAL.
     */
    @Test
    void aVmBeingTornDownTakesNoShare() {
        long np = newVm(false, 1);
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_VCPU_LOAD, np, 0));
        assertEquals(EINVAL, hyp.hvc(1, HostHcall.PKVM_START_TEARDOWN_VM, np), "a vCPU is loaded");
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_VCPU_PUT));
        assertEquals(0, hyp.hvc(1, HostHcall.PKVM_START_TEARDOWN_VM, np));
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_VCPU_LOAD, np, 0), "dying");
        assertEquals(EINVAL, hyp.hvc(0, HostHcall.PKVM_HOST_SHARE_GUEST, BASE_PFN + 1, 1, 1, Prot.RW));
        assertEquals(PageState.OWNED, hyp.mp.hostState(BASE_PFN + 1));
        assertEquals(0, hyp.hvc(0, HostHcall.PKVM_FINALIZE_TEARDOWN_VM, np));
    }
}
