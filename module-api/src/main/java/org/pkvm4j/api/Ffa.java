package org.pkvm4j.api;

/**
 * The Arm FF-A (Firmware Framework for A-profile) function ids and error codes the host, the
 * hypervisor's FF-A proxy and the firmware use.
 *
 * <p>pkvm4j's memory-sharing calls carry the region in registers instead of a descriptor in the
 * TX buffer: {@link #MEM_SHARE} and {@link #MEM_LEND} take x3 = the first page's physical address
 * and x4 = the page count and answer x0 = {@link #SUCCESS_64}, x2 = the handle; {@link #MEM_RECLAIM}
 * takes x1 = that handle. A refusal is x0 = {@link #ERROR}, x2 = an {@code FFA_RET_*} code.
 *
 * <p>Kernel counterpart: {@code include/linux/arm_ffa.h} and {@code nvhe/ffa.c}.
 *
 * @since 0.1
 */
public final class Ffa {
    /** {@code FFA_ERROR}: x2 = the error code. */
    public static final long ERROR = 0x8400_0060L;
    /** {@code FFA_SUCCESS} (SMC32). */
    public static final long SUCCESS = 0x8400_0061L;
    /** {@code FFA_FN64_SUCCESS}. */
    public static final long SUCCESS_64 = 0xC400_0061L;
    /** {@code FFA_VERSION}: x1 = the caller's version; x0 = the callee's. */
    public static final long VERSION = 0x8400_0063L;
    /** {@code FFA_FEATURES}: x1 = a function id; SUCCESS or ERROR(NOT_SUPPORTED). */
    public static final long FEATURES = 0x8400_0064L;
    /** {@code FFA_ID_GET}: x2 = the caller's partition id. */
    public static final long ID_GET = 0x8400_0069L;
    /** {@code FFA_FN64_MEM_DONATE}: refused to the host by the proxy. */
    public static final long MEM_DONATE = 0xC400_0071L;
    /** {@code FFA_FN64_MEM_LEND}: x3 = PA, x4 = pages (pkvm4j's register form). */
    public static final long MEM_LEND = 0xC400_0072L;
    /** {@code FFA_FN64_MEM_SHARE}: x3 = PA, x4 = pages (pkvm4j's register form). */
    public static final long MEM_SHARE = 0xC400_0073L;
    /** {@code FFA_MEM_RECLAIM}: x1 = the handle. */
    public static final long MEM_RECLAIM = 0x8400_0077L;

    /** {@code FFA_VERSION(1, 1)}. */
    public static final long VERSION_1_1 = 0x0001_0001L;

    /** {@code FFA_RET_NOT_SUPPORTED}. */
    public static final long RET_NOT_SUPPORTED = -1;
    /** {@code FFA_RET_INVALID_PARAMETERS}. */
    public static final long RET_INVALID_PARAMETERS = -2;
    /** {@code FFA_RET_NO_MEMORY}. */
    public static final long RET_NO_MEMORY = -3;
    /** {@code FFA_RET_DENIED}. */
    public static final long RET_DENIED = -6;

    private Ffa() {
    }

    /**
     * Whether {@code functionId} is an FF-A call: SMCCC owner "standard secure service" and
     * function number 0x60..0x7F, in either calling convention.
     *
     * <p>Kernel counterpart: {@code ARM_SMCCC_IS_FFA} use in {@code kvm_host_ffa_handler}.
     *
     * @param functionId x0 of the call
     * @return whether it is an FF-A call
     */
    public static boolean isFfaCall(long functionId) {
        long fn = functionId & ~(Smccc.SMC64 | Smccc.CALL_HINTS);
        return fn >= ERROR && fn <= ERROR + 0x1F;
    }
}
