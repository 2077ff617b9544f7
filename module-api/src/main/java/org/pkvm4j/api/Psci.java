package org.pkvm4j.api;

/**
 * The PSCI (Power State Coordination Interface) function ids and return codes the host, the
 * hypervisor's PSCI relay and the firmware use.
 *
 * <p>Every field is a compile-time constant, copied into vendor classes (see {@link Smccc}).
 *
 * <p>Kernel counterpart: {@code include/uapi/linux/psci.h}.
 *
 * @since 0.1
 */
public final class Psci {
    /** {@code PSCI_0_2_FN_PSCI_VERSION}: x0 = major &lt;&lt; 16 | minor. */
    public static final long VERSION = 0x8400_0000L;
    /** {@code PSCI_0_2_FN64_CPU_SUSPEND}: x1 = power_state, x2 = entry point, x3 = context id. */
    public static final long CPU_SUSPEND = 0xC400_0001L;
    /** {@code PSCI_0_2_FN_CPU_OFF}: powers the calling CPU off; returns only on failure. */
    public static final long CPU_OFF = 0x8400_0002L;
    /** {@code PSCI_0_2_FN64_CPU_ON}: x1 = target MPIDR, x2 = entry point, x3 = context id. */
    public static final long CPU_ON = 0xC400_0003L;
    /** {@code PSCI_0_2_FN64_AFFINITY_INFO}: x1 = target MPIDR; x0 = 0 on, 1 off, 2 on pending. */
    public static final long AFFINITY_INFO = 0xC400_0004L;
    /** {@code PSCI_0_2_FN_MIGRATE_INFO_TYPE}: x0 = 2, no trusted OS needs migration. */
    public static final long MIGRATE_INFO_TYPE = 0x8400_0006L;
    /** {@code PSCI_0_2_FN_SYSTEM_OFF}: never returns on success. */
    public static final long SYSTEM_OFF = 0x8400_0008L;
    /** {@code PSCI_0_2_FN_SYSTEM_RESET}: never returns on success. */
    public static final long SYSTEM_RESET = 0x8400_0009L;
    /** {@code PSCI_1_0_FN_PSCI_FEATURES}: x1 = a function id; x0 = 0 if implemented, else NOT_SUPPORTED. */
    public static final long FEATURES = 0x8400_000AL;
    /** {@code PSCI_1_0_FN64_SYSTEM_SUSPEND}: x1 = entry point, x2 = context id; the last CPU on only. */
    public static final long SYSTEM_SUSPEND = 0xC400_000EL;
    /** {@code PSCI_1_1_FN64_SYSTEM_RESET2}: x1 = reset type, x2 = cookie. */
    public static final long SYSTEM_RESET2 = 0xC400_0012L;

    /** {@code PSCI_VERSION(1, 1)}, what the firmware reports. */
    public static final long VERSION_1_1 = 0x0001_0001L;
    /** {@code PSCI_0_2_POWER_STATE_TYPE_MASK}: bit 16 of power_state, 1 for a powerdown state. */
    public static final long POWER_STATE_TYPE_POWER_DOWN = 1L << 16;

    /** {@code PSCI_RET_SUCCESS}. */
    public static final long RET_SUCCESS = 0;
    /** {@code PSCI_RET_NOT_SUPPORTED}. */
    public static final long RET_NOT_SUPPORTED = -1;
    /** {@code PSCI_RET_INVALID_PARAMS}. */
    public static final long RET_INVALID_PARAMS = -2;
    /** {@code PSCI_RET_DENIED}. */
    public static final long RET_DENIED = -3;
    /** {@code PSCI_RET_ALREADY_ON}. */
    public static final long RET_ALREADY_ON = -4;
    /** {@code PSCI_RET_ON_PENDING}. */
    public static final long RET_ON_PENDING = -5;
    /** {@code PSCI_RET_INTERNAL_FAILURE}. */
    public static final long RET_INTERNAL_FAILURE = -6;
    /** {@code PSCI_RET_INVALID_ADDRESS}. */
    public static final long RET_INVALID_ADDRESS = -9;

    private Psci() {
    }

    /**
     * Whether {@code functionId} is a PSCI call: SMCCC owner "standard secure service" (4) and
     * function number 0x00..0x1F, in either calling convention.
     *
     * <p>Kernel counterpart: {@code is_psci_0_1_call} / {@code is_psci_0_2_call} in {@code
     * nvhe/psci-relay.c}.
     *
     * @param functionId x0 of the call
     * @return whether the PSCI relay takes it
     */
    public static boolean isPsciCall(long functionId) {
        long fn = functionId & ~(Smccc.SMC64 | Smccc.CALL_HINTS);
        return fn >= VERSION && fn <= VERSION + 0x1F;
    }
}
