package org.pkvm4j.host.hvc;

import org.pkvm4j.api.Psci;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.machine.Cpu;
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
