package org.pkvm4j.machine;

/**
 * How an SMC the hypervisor forwarded to the firmware came back to EL2.
 *
 * <p>Kernel counterpart: what follows {@code psci_call} / {@code __kvm_hyp_host_forward_smc} in
 * {@code nvhe/psci-relay.c}: the call returns, or (a powerdown suspend) the CPU re-enters EL2 at the
 * entry point the hypervisor gave, or (CPU_OFF, SYSTEM_OFF) it never comes back.
 */
public enum El3Return {
    /** The call returned with its results in the registers. */
    RETURNED,
    /**
     * The CPU lost its context and re-entered EL2 at the hypervisor's entry point ({@link
     * El2Vector#cpuEntry}), which has already prepared the host's registers for its resume.
     */
    ENTERED_AT_ENTRY,
    /** The CPU (or the whole machine) is off: nothing runs on it until a CPU_ON. */
    POWERED_OFF
}
