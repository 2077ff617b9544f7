package org.pkvm4j.machine;

/**
 * The EL2 system registers a CPU holds that the hypervisor sets per CPU and that a powerdown loses.
 *
 * <p>Kernel counterpart: the registers {@code ___kvm_hyp_init} loads from a CPU's {@code struct
 * kvm_nvhe_init_params} when the CPU enters EL2 at boot, after CPU_ON and after a powerdown suspend.
 * Their reset value after a powerdown is 0 in the model (UNKNOWN on hardware).
 */
public enum El2SysReg {
    /** {@code TPIDR_EL2}: the CPU's offset into the hypervisor's per-CPU area. */
    TPIDR_EL2,
    /** {@code HCR_EL2}: which host system-register accesses trap ({@code api.Hcr}); {@code update_hcr_el2}. */
    HCR_EL2,
    /** {@code HFGWTR_EL2}: the fine-grained write traps ({@code SysReg.hfgwtrBit()}); {@code update_hfgwtr_el2}. */
    HFGWTR_EL2
}
