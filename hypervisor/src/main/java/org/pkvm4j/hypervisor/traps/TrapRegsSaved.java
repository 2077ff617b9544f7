package org.pkvm4j.hypervisor.traps;

import org.pkvm4j.api.Hcr;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;

/**
 * Each CPU's saved EL2 trap controls, <strong>saved across suspend</strong>: the values {@code
 * update_hcr_el2} and {@code update_hfgwtr_el2} change, which a CPU that resumes from {@code
 * CPU_SUSPEND} (or comes back on with {@code CPU_ON}) must load again before it returns to the host.
 *
 * <p>Kernel counterpart: {@code hcr_el2} and {@code hfgwt_el2} of the per-CPU {@code struct
 * kvm_nvhe_init_params}, which {@code __kvm_hyp_init_cpu} writes back to the registers on the way
 * out of a power-down. The resume path calls {@link #restore}. Each CPU's slot is written only on
 * that CPU's trap; the arrays are read there too, so no lock.
 */
public final class TrapRegsSaved {
    private final long[] hcrEl2;
    private final long[] hfgwtrEl2;

    /** The saved controls of {@code nrCpus} CPUs, at the host's reset values. */
    public TrapRegsSaved(int nrCpus) {
        hcrEl2 = new long[nrCpus];
        hfgwtrEl2 = new long[nrCpus];
        java.util.Arrays.fill(hcrEl2, Hcr.HOST_NVHE_FLAGS);
    }

    /** {@code __update_hcr_el2} on {@code cpu}: the saved value, then the live register. */
    public void updateHcrEl2(HypPlatform platform, Cpu cpu, long set, long clear) {
        long v = (hcrEl2[cpu.id()] | set) & ~clear;
        hcrEl2[cpu.id()] = v;
        platform.writeHcrEl2(cpu, v);
    }

    /** {@code __update_hfgwtr_el2} on {@code cpu}: the saved value, then the live register. */
    public void updateHfgwtrEl2(HypPlatform platform, Cpu cpu, long set, long clear) {
        long v = (hfgwtrEl2[cpu.id()] | set) & ~clear;
        hfgwtrEl2[cpu.id()] = v;
        platform.writeHfgwtrEl2(cpu, v);
    }

    /** The saved {@code HCR_EL2} of CPU {@code cpu}. */
    public long hcrEl2(int cpu) {
        return hcrEl2[cpu];
    }

    /** The saved {@code HFGWTR_EL2} of CPU {@code cpu}. */
    public long hfgwtrEl2(int cpu) {
        return hfgwtrEl2[cpu];
    }

    /**
     * Loads {@code cpu}'s saved controls into its live registers: what the resume path from a
     * power-down ({@code CPU_SUSPEND}, {@code CPU_ON}) does before returning to the host.
     */
    public void restore(HypPlatform platform, Cpu cpu) {
        platform.writeHcrEl2(cpu, hcrEl2[cpu.id()]);
        platform.writeHfgwtrEl2(cpu, hfgwtrEl2[cpu.id()]);
    }
}
