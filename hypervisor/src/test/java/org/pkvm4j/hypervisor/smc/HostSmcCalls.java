package org.pkvm4j.hypervisor.smc;

import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Machine;

/** A host {@code SMC} on one CPU, as the hypervisor's tests issue it. */
public final class HostSmcCalls {
    private HostSmcCalls() {
    }

    /**
     * Claims CPU {@code cpuId}, sets x0, x1, ... to {@code x} and executes {@code SMC #0}.
     *
     * @return x0..x3 after the call
     */
    public static long[] smc(Machine machine, int cpuId, long... x) {
        Cpu cpu = machine.getCpu(cpuId);
        try {
            for (int i = 0; i < x.length; i++) {
                cpu.regs().set(i, x[i]);
            }
            cpu.smc();
            return new long[] {cpu.regs().get(0), cpu.regs().get(1), cpu.regs().get(2), cpu.regs().get(3)};
        } finally {
            machine.putCpu(cpu);
        }
    }
}
