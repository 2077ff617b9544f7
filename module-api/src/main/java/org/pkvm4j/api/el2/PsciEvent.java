package org.pkvm4j.api.el2;

/**
 * What a {@link PsciNotifier} is told about.
 *
 * <p>Kernel counterpart: {@code enum pkvm_psci_notification} in {@code asm/kvm_pkvm_module.h}.
 *
 * @since 0.1
 */
public enum PsciEvent {
    /** {@code PKVM_PSCI_CPU_SUSPEND}: the host's CPU_SUSPEND, before the firmware suspends the CPU. */
    CPU_SUSPEND,
    /** {@code PKVM_PSCI_SYSTEM_SUSPEND}: the host's SYSTEM_SUSPEND, before the firmware suspends the system. */
    SYSTEM_SUSPEND,
    /**
     * {@code PKVM_PSCI_CPU_ENTRY}: a CPU enters EL2 from the firmware, switched on by CPU_ON or woken
     * from a powerdown suspend, after its EL2 state was restored and before the host runs on it.
     */
    CPU_ENTRY
}
