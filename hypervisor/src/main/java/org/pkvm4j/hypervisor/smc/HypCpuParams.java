package org.pkvm4j.hypervisor.smc;

import org.pkvm4j.api.Hcr;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2SysReg;
import org.pkvm4j.machine.HypPlatform;

/**
 * The per-CPU EL2 state that must survive a CPU's power-down: the saved value of every {@link
 * El2SysReg} ({@code TPIDR_EL2}, and the trap controls {@code HCR_EL2} and {@code HFGWTR_EL2}),
 * written back to the CPU's live registers each time it enters EL2 from the firmware (CPU_ON, a
 * powerdown suspend, SYSTEM_SUSPEND), before the host runs there again.
 *
 * <p>Kernel counterpart: {@code struct kvm_nvhe_init_params} ({@code kvm_init_params} per CPU),
 * which {@code ___kvm_hyp_init} loads on every entry ({@code __kvm_hyp_init_cpu}); {@code
 * update_hcr_el2} / {@code update_hfgwtr_el2} change the saved value and the live register together
 * ({@link #update}), so the change persists across power management. The one place per-CPU EL2
 * register state lives (ADR 0013, 0023): a member that changes a per-CPU EL2 register calls {@link
 * #update} on the CPU's own trap. Each CPU's row is written only on that CPU's trap or entry.
 */
public final class HypCpuParams {
    /** The hyp VA of CPU 0's per-CPU area; {@code TPIDR_EL2} of CPU n is this plus n strides. */
    public static final long PER_CPU_BASE = 0x0000_4000_0000_0000L;
    /** The size of one CPU's per-CPU area. */
    public static final long PER_CPU_STRIDE = 0x1_0000L;

    private final HypPlatform platform;
    private final long[][] saved;

    /** The boot values, written to every CPU's live registers now ({@code __pkvm_init} on each CPU). */
    public HypCpuParams(HypPlatform platform) {
        this.platform = platform;
        this.saved = new long[platform.nrCpus()][El2SysReg.values().length];
        for (int i = 0; i < saved.length; i++) {
            saved[i][El2SysReg.TPIDR_EL2.ordinal()] = PER_CPU_BASE + i * PER_CPU_STRIDE;
            saved[i][El2SysReg.HCR_EL2.ordinal()] = Hcr.HOST_NVHE_FLAGS;
            restore(platform.cpu(i));
        }
    }

    /**
     * Sets bits {@code set} and clears bits {@code clear} of {@code reg} on {@code cpu} (the calling
     * trap's CPU): the saved value and the live register.
     *
     * @return the new value
     */
    public long update(Cpu cpu, El2SysReg reg, long set, long clear) {
        long[] mine = saved[cpu.id()];
        long value = (mine[reg.ordinal()] | set) & ~clear;
        mine[reg.ordinal()] = value;
        platform.writeSysReg(cpu, reg, value);
        return value;
    }

    /** The saved value of {@code reg} for {@code cpu}. */
    public long saved(Cpu cpu, El2SysReg reg) {
        return saved[cpu.id()][reg.ordinal()];
    }

    /** Writes every saved value of {@code cpu} to its live registers: its entry from the firmware. */
    public void restore(Cpu cpu) {
        long[] mine = saved[cpu.id()];
        for (El2SysReg reg : El2SysReg.values()) {
            platform.writeSysReg(cpu, reg, mine[reg.ordinal()]);
        }
    }
}
