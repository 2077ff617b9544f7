package org.pkvm4j.host.hvc;

import org.pkvm4j.api.Psci;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;

/**
 * Issues {@code SMC}s on behalf of the host: fills the calling CPU's context, traps, reads the
 * answer. Under pKVM every SMC traps to EL2 (PSCI relay, FF-A proxy, module handlers, then the
 * firmware); without it the firmware answers directly.
 *
 * <p>Kernel counterpart: {@code arm_smccc_1_1_smc} ({@code include/linux/arm-smccc.h}) and the PSCI
 * calls of {@code drivers/firmware/psci/psci.c}. Results come back unchecked: x0 is the SMCCC, PSCI
 * or FF-A status the callee chose.
 */
public final class SmcGateway {
    /** The host's resume entry point ({@code __pa_symbol(cpu_resume)}): the start of its image. */
    public static final long CPU_RESUME = Dram.BASE;

    /**
     * The EL1 registers {@code cpu_do_suspend} saves and {@code cpu_do_resume} (with {@code
     * cpu_suspend}'s TTBR and MAIR reinstatement) writes back; SCTLR_EL1 last, as the MMU comes on.
     */
    private static final SysReg[] SUSPEND_CONTEXT = {SysReg.TPIDR_EL1, SysReg.CONTEXTIDR_EL1, SysReg.CPACR_EL1,
            SysReg.MAIR_EL1, SysReg.TCR_EL1, SysReg.TTBR0_EL1, SysReg.TTBR1_EL1, SysReg.VBAR_EL1, SysReg.SCTLR_EL1};

    private final Machine machine;

    /** A gateway issuing SMCs on {@code machine}'s CPUs. */
    public SmcGateway(Machine machine) {
        this.machine = machine;
    }

    /** {@code arm_smccc_1_1_smc(fn, a1, a2, a3)} on any CPU; returns x0..x3. */
    public SmcccRes smc(long functionId, long a1, long a2, long a3) {
        return smc(functionId, a1, a2, a3, 0);
    }

    /** As {@link #smc(long, long, long, long)} with x4 too. */
    public SmcccRes smc(long functionId, long a1, long a2, long a3, long a4) {
        Cpu cpu = machine.getCpu();
        try {
            return trap(cpu, functionId, a1, a2, a3, a4);
        } finally {
            machine.putCpu(cpu);
        }
    }

    /**
     * As {@link #smc(long, long, long, long)}, on CPU {@code cpuId} ({@code smp_call_function_single}).
     *
     * @throws IllegalStateException if that CPU is off
     */
    public SmcccRes smcOn(int cpuId, long functionId, long a1, long a2, long a3) {
        Cpu cpu = machine.getCpu(cpuId);
        try {
            return trap(cpu, functionId, a1, a2, a3, 0);
        } finally {
            machine.putCpu(cpu);
        }
    }

    /** {@code psci_cpu_on(cpu, entry)} from CPU {@code from}: PSCI status in x0. */
    public long cpuOn(int from, int target, long entry, long contextId) {
        return smcOn(from, Psci.CPU_ON, target, entry, contextId).a0();
    }

    /** {@code psci_cpu_off()} on CPU {@code cpuId}: powers it off; it takes no trap until a CPU_ON. */
    public long cpuOff(int cpuId) {
        return smcOn(cpuId, Psci.CPU_OFF, 0, 0, 0).a0();
    }

    /**
     * {@code cpu_suspend(power_state, psci_suspend_finisher)} on CPU {@code cpuId}: a standby state
     * is one SMC; for a powerdown state the host saves its EL1 context ({@code cpu_do_suspend}),
     * issues CPU_SUSPEND with {@link #CPU_RESUME} as the entry point, and, woken there, restores the
     * context with {@code MSR}s ({@code cpu_do_resume}), which trap to EL2 if EL2 made them trap again.
     *
     * @return 0 after a resume (or a standby), else the PSCI status the call failed with
     * @throws IllegalStateException if that CPU is off
     */
    public long cpuSuspend(int cpuId, long powerState) {
        return suspend(cpuId, Psci.CPU_SUSPEND, powerState);
    }

    /**
     * {@code psci_system_suspend_enter} on CPU {@code cpuId}, the last one on: as a powerdown {@link
     * #cpuSuspend}, with SYSTEM_SUSPEND.
     *
     * @return 0 after the resume, else the PSCI status ({@code DENIED} while another CPU is on)
     * @throws IllegalStateException if that CPU is off
     */
    public long systemSuspend(int cpuId) {
        return suspend(cpuId, Psci.SYSTEM_SUSPEND, 0);
    }

    private long suspend(int cpuId, long fn, long powerState) {
        boolean system = fn == Psci.SYSTEM_SUSPEND;
        Cpu cpu = machine.getCpu(cpuId);
        try {
            if (!system && (powerState & Psci.POWER_STATE_TYPE_POWER_DOWN) == 0) {
                return trap(cpu, fn, powerState, 0, 0, 0).a0(); // standby: nothing is lost
            }
            UserPtRegs regs = cpu.regs();
            long[] saved = new long[SUSPEND_CONTEXT.length];
            for (int i = 0; i < saved.length; i++) {
                cpu.mrs(SUSPEND_CONTEXT[i], 0);
                saved[i] = regs.get(0);
            }
            regs.setPc(0);
            SmcccRes r = system ? trap(cpu, fn, CPU_RESUME, 0, 0, 0) : trap(cpu, fn, powerState, CPU_RESUME, 0, 0);
            if (regs.pc() != CPU_RESUME) {
                return r.a0(); // refused: the context is still there
            }
            for (int i = 0; i < saved.length; i++) {
                regs.set(0, saved[i]);
                cpu.msr(SUSPEND_CONTEXT[i], 0);
            }
            return Psci.RET_SUCCESS;
        } finally {
            machine.putCpu(cpu);
        }
    }

    private static SmcccRes trap(Cpu cpu, long functionId, long a1, long a2, long a3, long a4) {
        UserPtRegs regs = cpu.regs();
        regs.set(0, functionId);
        regs.set(1, a1);
        regs.set(2, a2);
        regs.set(3, a3);
        regs.set(4, a4);
        cpu.smc();
        return new SmcccRes(regs.get(0), regs.get(1), regs.get(2), regs.get(3));
    }
}
