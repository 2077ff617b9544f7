package org.pkvm4j.hypervisor.smc;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.hypervisor.mem.GuestExit;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;

/**
 * A guest's SMC at EL2: a protected guest's is answered here (the TRNG calls, then the modules'
 * guest SMC handlers, else {@code SMCCC_RET_NOT_SUPPORTED}); a non-protected guest's goes to the
 * host, whose KVM answers it.
 *
 * <p>Kernel counterpart: {@code kvm_handle_pvm_smc64} and {@code pkvm_handle_guest_smc} in ACK's
 * {@code nvhe/pkvm.c} / {@code nvhe/modules.c}. A guest's SMC traps to EL2 while its vCPU runs
 * ({@code HCR_EL2.TSC}), so it always belongs to the vCPU loaded on the CPU ({@code
 * handle___kvm_vcpu_run} runs only that one); the handlers are told its VM's handle. The guest's
 * x0..x3 are loaded into the CPU's guest registers, which the handlers see and answer in.
 */
public final class GuestSmc {
    private final HypPlatform platform;
    private final GuestVcpus vcpus;
    private final SmcRegistry registry;

    /** Guest SMCs of {@code vcpus}' VMs. */
    public GuestSmc(HypPlatform platform, GuestVcpus vcpus, SmcRegistry registry) {
        this.platform = platform;
        this.vcpus = vcpus;
        this.registry = registry;
    }

    /**
     * One guest SMC of the vCPU loaded on {@code cpu}: x0 = {@code fn}, x1..x3 = {@code a1..a3}. The
     * module handlers are told the handle of that vCPU's VM.
     *
     * @return x1 of the world switch: {@link GuestVcpus#EXIT_DONE} with the guest's x0..x3 in {@code
     *     exit}, {@link GuestVcpus#EXIT_HVC} with {@code fn} for a call left to the host (a
     *     non-protected VM's), or -EINVAL on a CPU with no loaded vCPU
     */
    public long guestSmc(Cpu cpu, long fn, long a1, long a2, long a3, GuestExit exit) {
        long handle = vcpus.loadedVm(cpu.id());
        if (handle < 0) {
            exit.set(0, 0, 0, 0);
            return Errno.EINVAL.negated();
        }
        if (vcpus.isProtected(handle) != Boolean.TRUE) {
            exit.set(fn, 0, 0, 0);
            return GuestVcpus.EXIT_HVC;
        }
        UserPtRegs regs = platform.guestRegs(cpu);
        regs.clear();
        regs.set(0, fn);
        regs.set(1, a1);
        regs.set(2, a2);
        regs.set(3, a3);
        if (GuestTrng.isTrngCall(fn & ~Smccc.CALL_HINTS)) {
            regs.set(0, fn & ~Smccc.CALL_HINTS);
            GuestTrng.call(registry.trngOps(), regs);
        } else if (!registry.dispatchGuestSmc(regs, handle)) {
            regs.set(0, Smccc.RET_NOT_SUPPORTED);
        }
        exit.set(regs.get(0), regs.get(1), regs.get(2), regs.get(3));
        return GuestVcpus.EXIT_DONE;
    }
}
