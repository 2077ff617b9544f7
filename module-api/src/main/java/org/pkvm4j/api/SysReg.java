package org.pkvm4j.api;

/**
 * The EL1 system registers pkvm4j models, with their {@code MRS}/{@code MSR} encodings and the EL2
 * controls that trap host accesses to them.
 *
 * <p>Kernel counterpart: the {@code SYS_*} encodings of {@code asm/sysreg.h} ({@code sys_reg(op0,
 * op1, CRn, CRm, op2)}), the trap groups of {@code HCR_EL2} ({@code TVM}/{@code TRVM} for the
 * virtual-memory controls, {@code TACR}, {@code TID1}/{@code TID2}/{@code TID3} for ID registers) and
 * the write bits of {@code HFGWTR_EL2} (FEAT_FGT). A small set: the registers those controls cover
 * that a vendor trap handler is likely to watch, not the whole architecture.
 *
 * <p>A trapped access reaches EL2 with {@code ESR_EL2} = {@link #EC_SYS64} {@code << 26 | IL |
 * ISS}, whose ISS is {@code Op0 << 20 | Op2 << 17 | Op1 << 14 | CRn << 10 | Rt << 5 | CRm << 1 |
 * Direction} (Direction 1 for {@code MRS}, a read); {@link #fromEsr}, {@link #esrRt} and {@link
 * #esrIsRead} decode it.
 *
 * @since 0.1
 */
public enum SysReg {
    /** {@code SCTLR_EL1}: the EL1 MMU and cache controls ({@code M}, {@code WXN}...). */
    SCTLR_EL1(3, 0, 1, 0, 0, Hcr.TVM, Hcr.TRVM, 29, 0x30D0_0980L),
    /** {@code ACTLR_EL1}: implementation-defined auxiliary controls. */
    ACTLR_EL1(3, 0, 1, 0, 1, Hcr.TACR, Hcr.TACR, -1, 0),
    /** {@code CPACR_EL1}: FP/SIMD access controls (no {@code HCR_EL2} group; {@code CPTR_EL2.TCPAC}). */
    CPACR_EL1(3, 0, 1, 0, 2, 0, 0, 12, 0),
    /** {@code TTBR0_EL1}: the lower translation table base. */
    TTBR0_EL1(3, 0, 2, 0, 0, Hcr.TVM, Hcr.TRVM, 36, 0),
    /** {@code TTBR1_EL1}: the kernel's translation table base. */
    TTBR1_EL1(3, 0, 2, 0, 1, Hcr.TVM, Hcr.TRVM, 37, 0),
    /** {@code TCR_EL1}: the translation controls. */
    TCR_EL1(3, 0, 2, 0, 2, Hcr.TVM, Hcr.TRVM, 32, 0),
    /** {@code ESR_EL1}: the EL1 exception syndrome. */
    ESR_EL1(3, 0, 5, 2, 0, Hcr.TVM, Hcr.TRVM, 16, 0),
    /** {@code FAR_EL1}: the EL1 fault address. */
    FAR_EL1(3, 0, 6, 0, 0, Hcr.TVM, Hcr.TRVM, 17, 0),
    /** {@code MAIR_EL1}: the memory attributes. */
    MAIR_EL1(3, 0, 10, 2, 0, Hcr.TVM, Hcr.TRVM, 24, 0),
    /** {@code VBAR_EL1}: the EL1 vector base (no {@code HCR_EL2} group; fine-grained only). */
    VBAR_EL1(3, 0, 12, 0, 0, 0, 0, 38, 0),
    /** {@code CONTEXTIDR_EL1}: the current ASID/process id, for tracing. */
    CONTEXTIDR_EL1(3, 0, 13, 0, 1, Hcr.TVM, Hcr.TRVM, 11, 0),
    /** {@code TPIDR_EL1}: the EL1 thread pointer (per-CPU offset in Linux). */
    TPIDR_EL1(3, 0, 13, 0, 4, 0, 0, 33, 0),
    /** {@code REVIDR_EL1}: read-only, trapped by {@code HCR_EL2.TID1}. */
    REVIDR_EL1(3, 0, 0, 0, 6, -1, Hcr.TID1, -1, 0),
    /** {@code ID_AA64PFR0_EL1}: read-only, trapped by {@code HCR_EL2.TID3}; EL0..EL3 AArch64, FP, AdvSIMD, GIC. */
    ID_AA64PFR0_EL1(3, 0, 0, 4, 0, -1, Hcr.TID3, -1, 0x0000_0000_0100_2222L),
    /** {@code ID_AA64MMFR0_EL1}: read-only, trapped by {@code HCR_EL2.TID3}; 48-bit PA, 4 KiB granule. */
    ID_AA64MMFR0_EL1(3, 0, 0, 7, 0, -1, Hcr.TID3, -1, 0x0000_0000_0F10_0005L),
    /** {@code CTR_EL0}: read-only, trapped by {@code HCR_EL2.TID2}; 64-byte lines. */
    CTR_EL0(3, 3, 0, 0, 1, -1, Hcr.TID2, -1, 0x8444_C004L);

    /** {@code ESR_ELx_EC_SYS64}: a trapped {@code MSR}, {@code MRS} or system instruction. */
    public static final int EC_SYS64 = 0x18;
    /** {@code ESR_ELx_IL}: a 32-bit instruction. */
    public static final long ESR_IL = 1L << 25;
    /** The ISS bits that name the register (all but Rt and Direction): {@code ESR_ELx_SYS64_ISS_SYS_MASK}. */
    public static final long ISS_SYS_MASK = 0x3F_FC1EL;

    private static final SysReg[] VALUES = values();

    private final int op0;
    private final int op1;
    private final int crn;
    private final int crm;
    private final int op2;
    private final long hcrWriteTraps;
    private final long hcrReadTraps;
    private final int fgtBit;
    private final long resetValue;

    SysReg(int op0, int op1, int crn, int crm, int op2, long hcrWriteTraps, long hcrReadTraps, int fgtBit, long resetValue) {
        this.op0 = op0;
        this.op1 = op1;
        this.crn = crn;
        this.crm = crm;
        this.op2 = op2;
        this.hcrWriteTraps = hcrWriteTraps;
        this.hcrReadTraps = hcrReadTraps;
        this.fgtBit = fgtBit;
        this.resetValue = resetValue;
    }

    /**
     * Whether the register is read-only: an {@code MSR} to it is UNDEFINED.
     *
     * @return true for ID registers
     */
    public boolean readOnly() {
        return hcrWriteTraps == -1;
    }

    /**
     * The {@code HCR_EL2} bits any of which traps an {@code MSR} to this register.
     *
     * @return the mask, 0 if no {@code HCR_EL2} bit traps its writes
     */
    public long hcrWriteTraps() {
        return readOnly() ? 0 : hcrWriteTraps;
    }

    /**
     * The {@code HCR_EL2} bits any of which traps an {@code MRS} of this register.
     *
     * @return the mask, 0 if no {@code HCR_EL2} bit traps its reads
     */
    public long hcrReadTraps() {
        return hcrReadTraps;
    }

    /**
     * This register's write-trap bit in {@code HFGWTR_EL2} ({@code HFGxTR_EL2_<reg>}).
     *
     * @return the one-bit mask, 0 if fine-grained traps do not cover it
     */
    public long hfgwtrBit() {
        return fgtBit < 0 ? 0 : 1L << fgtBit;
    }

    /**
     * The value the register holds at reset (the ID registers: the simulated CPU's features).
     *
     * @return the reset value
     */
    public long resetValue() {
        return resetValue;
    }

    /**
     * The ISS of an access to this register through {@code X<rt>}, without Rt and Direction:
     * {@code Op0 << 20 | Op2 << 17 | Op1 << 14 | CRn << 10 | CRm << 1}.
     *
     * @return the encoding, as {@code ESR_ELx_SYS64_ISS_SYS_VAL}
     */
    public long issEncoding() {
        return (long) op0 << 20 | (long) op2 << 17 | (long) op1 << 14 | (long) crn << 10 | (long) crm << 1;
    }

    /**
     * The {@code ESR_EL2} of a trapped access to this register.
     *
     * @param rt the general-purpose register of the access, 0..30
     * @param read true for {@code MRS} (Direction 1), false for {@code MSR}
     * @return {@code EC_SYS64 << 26 | IL | ISS}
     * @throws IllegalArgumentException if {@code rt} is not 0..30
     */
    public long esr(int rt, boolean read) {
        if (rt < 0 || rt > 30) {
            throw new IllegalArgumentException("Rt must be 0..30: " + rt);
        }
        return (long) EC_SYS64 << 26 | ESR_IL | issEncoding() | (long) rt << 5 | (read ? 1 : 0);
    }

    /**
     * The register a trapped access names.
     *
     * @param esr an {@code ESR_EL2} value
     * @return the register, or null if {@code esr} is not {@link #EC_SYS64} or names a register this
     *     enum does not model
     */
    public static SysReg fromEsr(long esr) {
        if (((esr >>> 26) & 0x3F) != EC_SYS64) {
            return null;
        }
        long sys = esr & ISS_SYS_MASK;
        for (SysReg r : VALUES) {
            if (r.issEncoding() == sys) {
                return r;
            }
        }
        return null;
    }

    /**
     * The general-purpose register of a trapped access ({@code ESR_ELx_SYS64_ISS_RT}).
     *
     * @param esr an {@code ESR_EL2} value of class {@link #EC_SYS64}
     * @return Rt, 0..31
     */
    public static int esrRt(long esr) {
        return (int) ((esr >>> 5) & 0x1F);
    }

    /**
     * Whether a trapped access is a read ({@code MRS}, Direction 1).
     *
     * @param esr an {@code ESR_EL2} value of class {@link #EC_SYS64}
     * @return true for {@code MRS}, false for {@code MSR}
     */
    public static boolean esrIsRead(long esr) {
        return (esr & 1) != 0;
    }
}
