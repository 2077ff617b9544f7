package org.pkvm4j.machine;

/**
 * The EL2 exception vector: where a CPU goes when the host traps.
 *
 * <p>Kernel counterpart: {@code __kvm_hyp_host_vector} and {@code handle_trap} in {@code
 * nvhe/hyp-main.c}. The hypervisor image returns one from {@link HypervisorImage#pkvmInit}; boot code
 * writes it to the machine once ({@code VBAR_EL2}), and from then on the only way from EL1 into EL2
 * is {@link Cpu#hvc()}.
 */
public interface El2Vector {
    /**
     * Handles an {@code HVC #0} from the host on {@code cpu}: the arguments and results are in
     * {@code cpu.hostContext()}. Runs to completion; must not throw (report failures in x0/x1, or
     * panic through the platform).
     */
    void hostHvc(Cpu cpu);

    /**
     * Handles a host stage-2 fault on {@code cpu}: the host accessed {@code pa} (a write if {@code
     * write}) and the host stage-2 does not map it.
     *
     * <p>Kernel counterpart: {@code handle_host_mem_abort} in {@code nvhe/mem_protect.c}. Runs to
     * completion and must not throw.
     *
     * @return whose page it is, decided under EL2's lock: {@link OwnerId#HOST} if the host may access
     *     it (the mapping is fixed and the host retries the access, as after {@code
     *     host_stage2_idmap} or {@code -EEXIST}); any other owner to inject an abort that names it.
     *     The default, for a vector that handles no stage-2 fault, returns null: inject, and the
     *     machine names the owner from the stage-2 annotation.
     */
    default OwnerId hostMemAbort(Cpu cpu, long pa, boolean write) {
        return null;
    }

    /**
     * Handles a host stage-2 <em>permission</em> fault on {@code cpu}: the host's stage-2 maps {@code
     * pa} but its permissions (set by {@code host_stage2_mod_prot}) forbid the access.
     *
     * <p>Kernel counterpart: {@code handle_host_perm_fault}, reached from {@code
     * handle_host_mem_abort} for a permission DFSC: the module handlers in registration order until
     * one returns 0. Runs to completion and must not throw.
     *
     * @return true if a handler claimed the fault; false to inject the abort. The default, for a
     *     vector without such handlers, injects.
     */
    default boolean hostPermFault(Cpu cpu, long pa, boolean write) {
        return false;
    }

    /**
     * Handles an {@code SMC #0} from the host on {@code cpu}: the arguments and results are in {@code
     * cpu.hostContext()}.
     *
     * <p>Kernel counterpart: {@code handle_host_smc} in {@code nvhe/hyp-main.c}. Runs to completion and
     * must not throw. The default, for a vector that handles no SMC, forwards it to the firmware, as
     * EL2 does for a call nobody at EL2 claims.
     */
    default void hostSmc(Cpu cpu) {
        cpu.machine().firmware().smc(cpu, true);
    }

    /**
     * A CPU enters EL2 from the firmware: switched on by a CPU_ON the hypervisor relayed ({@code
     * cpuOn}), or woken from a powerdown suspend. It runs on {@code cpu}, whose EL2 system registers
     * and host registers were lost; the vector restores its EL2 state and prepares the host registers
     * for the host's own entry point.
     *
     * <p>Kernel counterpart: {@code kvm_hyp_cpu_entry} / {@code kvm_hyp_cpu_resume} and {@code
     * kvm_host_psci_cpu_entry} in {@code nvhe/psci-relay.c}. Must not throw. The default does nothing.
     */
    default void cpuEntry(Cpu cpu, boolean cpuOn) {
    }

    /**
     * Handles a host {@code MSR}/{@code MRS} that {@code HCR_EL2} or {@code HFGWTR_EL2} made trap on
     * {@code cpu}: {@code esr} has class {@code EC_SYS64} with the register's encoding, Rt and the
     * direction ({@link org.pkvm4j.api.SysReg#esr}); the registers are in {@code cpu.hostContext()}.
     *
     * <p>Kernel counterpart: {@code handle_trap}'s default case, {@code default_host_trap_handler}
     * then {@code hyp_panic}. Runs to completion and must not throw.
     *
     * @return true if EL2 handled (emulated) the access; false if it did not, which only a vector that
     *     models no such traps answers (the default): a real one panics instead
     */
    default boolean sysregTrap(Cpu cpu, long esr) {
        return false;
    }
}
