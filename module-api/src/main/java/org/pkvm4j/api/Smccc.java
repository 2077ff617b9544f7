package org.pkvm4j.api;

/**
 * Values of the Arm SMC Calling Convention as pKVM uses them on the host/hypervisor wire.
 *
 * <p>Every field is a compile-time constant: javac copies them into vendor classes, so changing one
 * breaks every module built before (the ABI checker treats it as such).
 *
 * <p>Kernel counterpart: {@code include/linux/arm-smccc.h} and {@code KVM_HOST_SMCCC_ID} in
 * {@code arch/arm64/include/asm/kvm_asm.h}.
 *
 * @since 0.1
 */
public final class Smccc {
    /** x0 after a call that completed. */
    public static final long RET_SUCCESS = 0;
    /** x0 after a call to a function that does not exist or is closed (the privileged band after deprivilege). */
    public static final long RET_NOT_SUPPORTED = -1;
    /** x0 when the call was not needed. */
    public static final long RET_NOT_REQUIRED = -2;
    /** x0 after a call whose arguments were refused; the default answer to a guest hypercall. */
    public static final long RET_INVALID_PARAMETER = -3;

    /** Bit 31 of a function id: a fast call, which runs to completion. */
    public static final long FAST_CALL = 0x8000_0000L;
    /** Bit 30 of a function id: the SMC64/HVC64 calling convention. */
    public static final long SMC64 = 0x4000_0000L;
    /** Owning entity of the KVM host calls: vendor-specific hypervisor services. */
    public static final int OWNER_VENDOR_HYP = 6;
    /** Shift of the owner field within a function id. */
    public static final int OWNER_SHIFT = 24;
    /** Bit 16 of x0: SMCCC 1.3 call hints (the SVE hint), stripped before dispatch. */
    public static final long CALL_HINTS = 1L << 16;

    /** {@code KVM_HOST_SMCCC_ID(0)}: fast call, SMC64, owner VENDOR_HYP; {@code 0xC6000000}. */
    public static final long KVM_HOST_SMCCC_ID_BASE =
            FAST_CALL | SMC64 | ((long) OWNER_VENDOR_HYP << OWNER_SHIFT);

    /** {@code ARM_SMCCC_VERSION_FUNC_ID}: x0 = the SMCCC version the firmware implements. */
    public static final long VERSION_FUNC_ID = 0x8000_0000L;
    /** {@code ARM_SMCCC_ARCH_FEATURES_FUNC_ID}: x1 = a function id; x0 = 0 if implemented, else NOT_SUPPORTED. */
    public static final long ARCH_FEATURES_FUNC_ID = 0x8000_0001L;
    /** {@code ARM_SMCCC_VERSION_1_2}: what the firmware reports. */
    public static final long VERSION_1_2 = 0x0001_0002L;

    /** {@code __KVM_HOST_SMCCC_FUNC___dynamic_hcalls}: the first id handed to module handlers. */
    public static final int DYNAMIC_HCALLS_BASE = 128;
    /** {@code MAX_DYNAMIC_HCALLS}: how many module handlers the hypervisor can hold. */
    public static final int MAX_DYNAMIC_HCALLS = 128;

    private Smccc() {
    }

    /**
     * The function id the host puts in x0 to call host hypercall {@code n}.
     *
     * <p>Kernel counterpart: {@code KVM_HOST_SMCCC_ID(n)}.
     *
     * @param n the hypercall number
     * @return its SMCCC function id, {@code 0xC6000000 + n}
     */
    public static long kvmHostSmcccId(int n) {
        return KVM_HOST_SMCCC_ID_BASE + n;
    }

    /**
     * A readable name for an SMCCC status in x0, for messages.
     *
     * @param x0 an SMCCC status
     * @return its name, such as {@code SMCCC_RET_NOT_SUPPORTED}
     */
    public static String statusName(long x0) {
        if (x0 == RET_SUCCESS) {
            return "SMCCC_RET_SUCCESS";
        } else if (x0 == RET_NOT_SUPPORTED) {
            return "SMCCC_RET_NOT_SUPPORTED";
        } else if (x0 == RET_NOT_REQUIRED) {
            return "SMCCC_RET_NOT_REQUIRED";
        } else if (x0 == RET_INVALID_PARAMETER) {
            return "SMCCC_RET_INVALID_PARAMETER";
        }
        return "SMCCC status 0x" + Long.toHexString(x0);
    }
}
