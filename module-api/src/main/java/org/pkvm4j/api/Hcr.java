package org.pkvm4j.api;

/**
 * Bits of {@code HCR_EL2}, the hypervisor configuration register, that pkvm4j models.
 *
 * <p>Kernel counterpart: the {@code HCR_*} constants of {@code asm/kvm_arm.h}. pKVM runs the host
 * with {@code HCR_HOST_NVHE_FLAGS} ({@link #RW}, {@link #API}, {@link #APK}) and sets {@link #VM} at
 * {@code __pkvm_prot_finalize}; a vendor module may set the trap bits with {@code update_hcr_el2}.
 *
 * @since 0.1
 */
public final class Hcr {
    /** {@code HCR_VM}: stage-2 translation on. */
    public static final long VM = 1L;
    /** {@code HCR_TID1}: trap reads of {@code REVIDR_EL1}, {@code AIDR_EL1}. */
    public static final long TID1 = 1L << 16;
    /** {@code HCR_TID2}: trap reads of {@code CTR_EL0}, {@code CCSIDR_EL1}, {@code CLIDR_EL1}. */
    public static final long TID2 = 1L << 17;
    /** {@code HCR_TID3}: trap reads of the ID group 3 registers ({@code ID_AA64*_EL1}). */
    public static final long TID3 = 1L << 18;
    /** {@code HCR_TACR}: trap accesses to {@code ACTLR_EL1}. */
    public static final long TACR = 1L << 21;
    /** {@code HCR_TVM}: trap writes to the virtual-memory controls ({@code SCTLR_EL1}, {@code TTBRn_EL1}, {@code TCR_EL1}...). */
    public static final long TVM = 1L << 26;
    /** {@code HCR_TRVM}: trap reads of the same registers. */
    public static final long TRVM = 1L << 30;
    /** {@code HCR_RW}: EL1 is AArch64. */
    public static final long RW = 1L << 31;
    /** {@code HCR_APK}: no trap on pointer-authentication key registers. */
    public static final long APK = 1L << 40;
    /** {@code HCR_API}: no trap on pointer-authentication instructions. */
    public static final long API = 1L << 41;
    /** {@code HCR_HOST_NVHE_FLAGS} without {@code HCR_ATA}: the host's value before deprivilege. */
    public static final long HOST_NVHE_FLAGS = RW | API | APK;

    private Hcr() {
    }
}
