package org.pkvm4j.api;

import java.util.Arrays;

/**
 * The general-purpose registers of a trapped context: x0..x30, sp, pc and pstate.
 *
 * <p>Kernel counterpart: {@code struct user_pt_regs}. A handler of the android14-6.1 and later ABI
 * receives the host context's registers, reads its arguments from x1..x3 and writes its status to
 * x0 and its results to x1..x3 ({@code regs->regs[n]}). The object belongs to the CPU that trapped
 * and is only valid during the call: do not keep it.
 *
 * @since 0.1
 */
public final class UserPtRegs {
    /** Number of general-purpose registers x0..x30. */
    public static final int NR_GPRS = 31;

    private final long[] regs = new long[NR_GPRS];
    private long sp;
    private long pc;
    private long pstate;

    /** A register file with every register zero. */
    public UserPtRegs() {
    }

    /**
     * Reads {@code x<n>}; {@code n} is 0..30.
     *
     * @param n the register number, 0..30
     * @return the value of x{@code n}
     */
    public long get(int n) {
        return regs[n];
    }

    /**
     * Writes {@code x<n>}; {@code n} is 0..30.
     *
     * @param n the register number, 0..30
     * @param value the new value
     */
    public void set(int n, long value) {
        regs[n] = value;
    }

    /**
     * The stack pointer of the trapped context.
     *
     * @return the stack pointer
     */
    public long sp() {
        return sp;
    }

    /**
     * Sets the stack pointer.
     *
     * @param value the new stack pointer
     */
    public void setSp(long value) {
        sp = value;
    }

    /**
     * The program counter (ELR) of the trapped context.
     *
     * @return the program counter
     */
    public long pc() {
        return pc;
    }

    /**
     * Sets the program counter, as an EL2 handler does to rewind or skip an instruction.
     *
     * @param value the new program counter
     */
    public void setPc(long value) {
        pc = value;
    }

    /**
     * The saved processor state (SPSR).
     *
     * @return the saved PSTATE
     */
    public long pstate() {
        return pstate;
    }

    /**
     * Sets the saved processor state.
     *
     * @param value the new PSTATE
     */
    public void setPstate(long value) {
        pstate = value;
    }

    /** Zeroes every register, as a fresh context. */
    public void clear() {
        Arrays.fill(regs, 0);
        sp = 0;
        pc = 0;
        pstate = 0;
    }

    /** x0..x3 in hex, the registers of an SMCCC call. */
    @Override
    public String toString() {
        return "UserPtRegs[x0=0x%x, x1=0x%x, x2=0x%x, x3=0x%x]"
                .formatted(regs[0], regs[1], regs[2], regs[3]);
    }
}
