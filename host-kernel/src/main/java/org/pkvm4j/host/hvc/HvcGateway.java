package org.pkvm4j.host.hvc;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import java.util.function.IntConsumer;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.CpuPin;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypRequest;
import org.pkvm4j.machine.Machine;

/**
 * Issues {@code HVC}s on behalf of the host: fills the calling CPU's context, traps, reads the
 * answer.
 *
 * <p>Kernel counterpart: {@code kvm_call_hyp_nvhe()} and the {@code pkvm_el2_mod_call()} macro.
 * This is one of the two places where registers become Java: an x0 other than success becomes a
 * {@link PkvmException} with the SMCCC status; a static call's negative x1 becomes a {@link
 * PkvmException} with its errno. The module-call path takes no lock, allocates nothing and uses no
 * reflection: claim a CPU, write four registers, trap, read two.
 */
public final class HvcGateway {
    /** How often one module call is retried after its heap was refilled ({@code -ENOMEM} again: give up). */
    public static final int MAX_HYP_ALLOC_RETRIES = 8;
    /** The most pages one request is served with (the heap's whole window): the host does not trust EL2's count blindly. */
    public static final int MAX_HYP_ALLOC_REQUEST = 4096;
    private static final long ENOMEM = Errno.ENOMEM.negated();

    private final Machine machine;
    private volatile HostPages hypAllocPages;

    /**
     * Where the host takes the pages it donates to the EL2 heap: its page allocator.
     */
    public interface HostPages {
        /**
         * A free host page.
         *
         * @return its pfn
         * @throws PkvmException {@code ENOMEM} when there is none
         */
        long alloc();

        /** Gives back a page {@link #alloc} returned that could not be donated. */
        void free(long pfn);
    }

    /** A gateway issuing traps on {@code machine}'s CPUs. */
    public HvcGateway(Machine machine) {
        this.machine = machine;
    }

    /**
     * Calls a module handler: x0 = {@code functionId}, x1..x3 = args; returns x1.
     *
     * @throws PkvmException with the SMCCC status if x0 is not {@code SMCCC_RET_SUCCESS}
     */
    public long el2ModCall(long functionId, long a1, long a2, long a3) {
        for (int attempt = 0;; attempt++) {
            Cpu cpu = machine.getCpu();
            long x0;
            long x1;
            long request;
            try {
                UserPtRegs regs = cpu.regs();
                hvc(cpu, regs, functionId, a1, a2, a3);
                x0 = regs.get(0);
                x1 = regs.get(1);
                request = cpu.takeHypRequest();
            } finally {
                machine.putCpu(cpu);
            }
            // pkvm_handle_hyp_req: EL2 asked for pages; donate them, and retry a call that ran out.
            if (request != 0 && serveHypRequest(request) && x0 == Smccc.RET_SUCCESS && x1 == ENOMEM
                    && attempt < MAX_HYP_ALLOC_RETRIES) {
                continue;
            }
            if (x0 != Smccc.RET_SUCCESS) {
                throw refused(functionId, x0);
            }
            return x1;
        }
    }

    /** Sets the host pages the EL2 heap is refilled from; without them a module's request is dropped. */
    public void refillHypAllocFrom(HostPages pages) {
        this.hypAllocPages = pages;
    }

    /**
     * Serves the request EL2 left in a CPU's {@code host_hyp_reqs} slot ({@code pkvm_handle_hyp_req}):
     * pages for the EL2 heap or for the IOMMU pool.
     *
     * @return whether all the pages asked for were donated
     */
    private boolean serveHypRequest(long request) {
        int nrPages = HypRequest.nrPages(request);
        return switch (HypRequest.dest(request)) {
            case HypRequest.DEST_HYP_ALLOC -> refillHypAlloc(nrPages);
            case HypRequest.DEST_HYP_IOMMU -> refillIommu(nrPages);
            default -> false;
        };
    }

    /**
     * Donates {@code nrPages} host pages to the IOMMU pool, one {@code kvm_iommu_refill} each
     * ({@code kvm_iommu_topup_memcache} for {@code REQ_MEM_DEST_HYP_IOMMU}).
     *
     * @return whether all were donated
     */
    private boolean refillIommu(int nrPages) {
        return donate(nrPages, HostHcall.PKVM_IOMMU_REFILL, 1);
    }

    /**
     * Donates {@code nrPages} host pages to the EL2 heap, one {@code __pkvm_hyp_alloc_mgt_refill} each.
     *
     * @return whether all were donated
     */
    private boolean refillHypAlloc(int nrPages) {
        return donate(nrPages, HostHcall.PKVM_HYP_ALLOC_REFILL, 0);
    }

    /**
     * Donates up to {@code nrPages} host pages, one {@code call(pfn, a2)} each; a page the hypervisor
     * refused goes back to the host.
     *
     * @return whether all were donated: false when the host has no page to give (the call fails with
     *     its -ENOMEM) or the hypervisor refused one
     */
    private boolean donate(int nrPages, HostHcall call, long a2) {
        HostPages pages = hypAllocPages;
        if (pages == null) {
            return false;
        }
        for (int i = 0; i < Math.min(nrPages, MAX_HYP_ALLOC_REQUEST); i++) {
            long pfn;
            try {
                pfn = pages.alloc();
            } catch (PkvmException e) {
                return false;
            }
            try {
                hostHcall(call, pfn, a2, 0);
            } catch (PkvmException e) {
                pages.free(pfn);
                return false;
            }
        }
        return true;
    }

    /**
     * {@code read_sysreg(reg)} on the calling thread's CPU: {@code MRS X0, <reg>} (a trap to EL2 if
     * EL2 made reads of it trap).
     */
    public long readSysreg(SysReg reg) {
        Cpu cpu = machine.getCpu();
        try {
            cpu.mrs(reg, 0);
            return cpu.regs().get(0);
        } finally {
            machine.putCpu(cpu);
        }
    }

    /**
     * {@code write_sysreg(value, reg)} on the calling thread's CPU: {@code MSR <reg>, X0} (a trap to
     * EL2 if EL2 made writes to it trap).
     *
     * @throws IllegalArgumentException for a read-only register
     */
    public void writeSysreg(SysReg reg, long value) {
        Cpu cpu = machine.getCpu();
        try {
            cpu.regs().set(0, value);
            cpu.msr(reg, 0);
        } finally {
            machine.putCpu(cpu);
        }
    }

    /**
     * {@code on_each_cpu(fn, info, 1)}: runs {@code fn} with the calling thread pinned to each CPU in
     * turn, so its HVCs and system-register accesses happen on that CPU.
     *
     * @throws IllegalStateException if the calling thread already pins a CPU
     */
    public void onEachCpu(IntConsumer fn) {
        for (int id = 0; id < machine.nrCpus(); id++) {
            try (CpuPin _ = machine.pinCurrentThread(id)) {
                fn.accept(id);
            }
        }
    }

    /** Calls any function id and returns x0..x3 unchecked ({@code arm_smccc_1_1_hvc}). */
    public SmcccRes hvc(long functionId, long a1, long a2, long a3) {
        Cpu cpu = machine.getCpu();
        SmcccRes res;
        long request;
        try {
            res = trap(cpu, functionId, a1, a2, a3);
            request = cpu.takeHypRequest();
        } finally {
            machine.putCpu(cpu);
        }
        if (request != 0) {
            serveHypRequest(request); // served, not retried: the caller reads the raw answer
        }
        return res;
    }

    /** As {@link #hvc(long, long, long, long)} with x4 and x5 too; returns x0..x3 unchecked. */
    public SmcccRes hvc(long functionId, long a1, long a2, long a3, long a4, long a5) {
        Cpu cpu = machine.getCpu();
        SmcccRes res;
        long request;
        try {
            UserPtRegs regs = cpu.regs();
            regs.set(4, a4);
            regs.set(5, a5);
            hvc(cpu, regs, functionId, a1, a2, a3);
            res = new SmcccRes(regs.get(0), regs.get(1), regs.get(2), regs.get(3));
            request = cpu.takeHypRequest();
        } finally {
            machine.putCpu(cpu);
        }
        if (request != 0) {
            serveHypRequest(request);
        }
        return res;
    }

    /** As {@link #hvc(long, long, long, long, long, long)}, returning x0..x5 unchecked. */
    public long[] hvcX0ToX5(long functionId, long a1, long a2, long a3, long a4, long a5) {
        Cpu cpu = machine.getCpu();
        try {
            UserPtRegs regs = cpu.regs();
            regs.set(4, a4);
            regs.set(5, a5);
            hvc(cpu, regs, functionId, a1, a2, a3);
            return new long[] {regs.get(0), regs.get(1), regs.get(2), regs.get(3), regs.get(4), regs.get(5)};
        } finally {
            machine.putCpu(cpu);
        }
    }

    /**
     * Issues a static host hypercall and returns its x1.
     *
     * @throws PkvmException {@code EOPNOTSUPP} if the hypervisor answers NOT_SUPPORTED (a closed
     *     call); the call's errno if x1 is a negative errno
     */
    public long hostHcall(HostHcall call, long a1, long a2, long a3) {
        return check(call, hvc(Smccc.kvmHostSmcccId(call.id()), a1, a2, a3));
    }

    /** As {@link #hostHcall(HostHcall, long, long, long)} with x4 too. */
    public long hostHcall(HostHcall call, long a1, long a2, long a3, long a4) {
        return check(call, hvc(Smccc.kvmHostSmcccId(call.id()), a1, a2, a3, a4, 0));
    }

    /**
     * Keeps the calling thread on one CPU ({@code preempt_disable} around a loaded vCPU: the
     * hypervisor's loaded vCPU is per CPU); null if the thread already pins one, which it keeps.
     */
    public CpuPin pinUnlessPinned() {
        return machine.currentThreadPins() ? null : machine.pinCurrentThread();
    }

    /** As {@link #hostHcall}, on CPU {@code cpuId} ({@code smp_call_function_single}). */
    public long hostHcallOn(int cpuId, HostHcall call, long a1, long a2, long a3) {
        Cpu cpu = machine.getCpu(cpuId);
        try {
            return check(call, trap(cpu, Smccc.kvmHostSmcccId(call.id()), a1, a2, a3));
        } finally {
            machine.putCpu(cpu);
        }
    }

    private static PkvmException refused(long functionId, long x0) {
        if (x0 == functionId) {
            // A user_pt_regs handler must write x0 itself; one that forgets leaves the function id.
            return PkvmException.ofSmcccStatus(x0, "HVC 0x%X: the handler did not write a status to x0".formatted(functionId));
        }
        return PkvmException.ofSmcccStatus(x0, "HVC 0x%X".formatted(functionId));
    }

    private static SmcccRes trap(Cpu cpu, long functionId, long a1, long a2, long a3) {
        UserPtRegs regs = cpu.regs();
        hvc(cpu, regs, functionId, a1, a2, a3);
        return new SmcccRes(regs.get(0), regs.get(1), regs.get(2), regs.get(3));
    }

    /** {@code arm_smccc_1_1_hvc}: x0..x3 in, {@code HVC #0}; the answer is in {@code regs}. */
    private static void hvc(Cpu cpu, UserPtRegs regs, long functionId, long a1, long a2, long a3) {
        regs.set(0, functionId);
        regs.set(1, a1);
        regs.set(2, a2);
        regs.set(3, a3);
        cpu.hvc();
    }

    private static long check(HostHcall call, SmcccRes res) {
        if (res.a0() != Smccc.RET_SUCCESS) {
            throw PkvmException.ofSmcccStatus(res.a0(), call.symbol() + " refused by the hypervisor");
        }
        Errno errno = Errno.fromNegated(res.a1());
        if (errno != null) {
            throw new PkvmException(errno, call.symbol() + " failed");
        }
        return res.a1();
    }
}
