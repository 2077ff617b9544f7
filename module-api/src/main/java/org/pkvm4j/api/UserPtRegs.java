package org.pkvm4j.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * The general-purpose registers of a trapped context: x0..x30, sp, pc and pstate.
 *
 * <p>Kernel counterpart: {@code struct user_pt_regs}. A handler of the android14-6.1 and later ABI
 * receives the host context's registers, reads its arguments from x1..x3 and writes its status to
 * x0 and its results to x1..x3 ({@code regs->regs[n]}). The object belongs to the CPU that trapped
 * and is only valid during the call: do not keep it.
 *
 * <p>What a handler receives is a <em>view</em> of the CPU's register file ({@link RegsGate}): it
 * reads and writes the live registers only on the thread of the trap and only while the handler
 * runs. Used from any other thread, or after the handler returned, a read answers 0 and a write
 * changes nothing; the hypervisor counts and reports each such use. A register file made with
 * {@link #UserPtRegs()} is not a view and has no such limit.
 *
 * @since 0.1
 */
public final class UserPtRegs {
    /** Number of general-purpose registers x0..x30. */
    public static final int NR_GPRS = 31;

    // openFor of a register file, which every thread may use (thread ids are positive).
    private static final long FILE = -1;

    private static final int SP = 0;
    private static final int PC = 1;
    private static final int PSTATE = 2;

    // x0..x30, and sp, pc, pstate: arrays a view shares with its file. Two arrays, so that the
    // array's own bounds check is the only check of n.
    private final long[] x;
    private final long[] sys;
    // Null for a register file; for a view, the gate that opens and closes it and hears refusals.
    private final RegsGate gate;
    // A view: the id of the thread it is open for, 0 when closed (written by its gate, on that thread
    // only); a register file: FILE. Kept here rather than in the gate so that the test on every
    // access reads this one field (not the gate too); an id rather than the Thread, so that opening
    // and closing store no reference (a G1 write barrier with a StoreLoad fence on every trap).
    long openFor;

    /** A register file with every register zero. */
    public UserPtRegs() {
        this.x = new long[NR_GPRS];
        this.sys = new long[3];
        this.gate = null;
        this.openFor = FILE;
    }

    /** A view of {@code file}'s registers through {@code gate} (see {@link RegsGate}). */
    UserPtRegs(UserPtRegs file, RegsGate gate) {
        this.x = file.x;
        this.sys = file.sys;
        this.gate = gate;
    }

    /** Whether this is a gated view rather than a register file of its own. */
    boolean isView() {
        return gate != null;
    }

    /**
     * Reads {@code x<n>}; {@code n} is 0..30. A closed view reads 0.
     *
     * @param n the register number, 0..30
     * @return the value of x{@code n}
     */
    public long get(int n) {
        long v = x[n];
        return usable() ? v : refusedRead();
    }

    /**
     * Writes {@code x<n>}; {@code n} is 0..30. A closed view changes nothing.
     *
     * @param n the register number, 0..30
     * @param value the new value
     */
    public void set(int n, long value) {
        if (usable()) {
            x[n] = value;
        } else {
            refusedWrite(n);
        }
    }

    /**
     * The stack pointer of the trapped context.
     *
     * @return the stack pointer
     */
    public long sp() {
        long v = sys[SP];
        return usable() ? v : refusedRead();
    }

    /**
     * Sets the stack pointer.
     *
     * @param value the new stack pointer
     */
    public void setSp(long value) {
        writeSys(SP, value);
    }

    /**
     * The program counter (ELR) of the trapped context.
     *
     * @return the program counter
     */
    public long pc() {
        long v = sys[PC];
        return usable() ? v : refusedRead();
    }

    /**
     * Sets the program counter, as an EL2 handler does to rewind or skip an instruction.
     *
     * @param value the new program counter
     */
    public void setPc(long value) {
        writeSys(PC, value);
    }

    /**
     * The saved processor state (SPSR).
     *
     * @return the saved PSTATE
     */
    public long pstate() {
        long v = sys[PSTATE];
        return usable() ? v : refusedRead();
    }

    /**
     * Sets the saved processor state.
     *
     * @param value the new PSTATE
     */
    public void setPstate(long value) {
        writeSys(PSTATE, value);
    }

    /** Zeroes every register, as a fresh context. A closed view changes nothing. */
    public void clear() {
        if (usable()) {
            Arrays.fill(x, 0);
            Arrays.fill(sys, 0);
        } else {
            gate.refused();
        }
    }

    /** x0..x3 in hex, the registers of an SMCCC call; a closed view shows none. */
    @Override
    public String toString() {
        if (!usable()) {
            gate.refused();
            return "UserPtRegs[closed view]";
        }
        return "UserPtRegs[x0=0x%x, x1=0x%x, x2=0x%x, x3=0x%x]"
                .formatted(x[0], x[1], x[2], x[3]);
    }

    /** A view open for the calling thread, or a register file. */
    private boolean usable() {
        long open = openFor;
        // The gate test last, off the fast path: a file another thread published without a
        // happens-before edge may still show openFor = 0; its final gate field says what it is.
        return open == Thread.currentThread().threadId() || open == FILE || gate == null;
    }

    private void writeSys(int i, long value) {
        if (usable()) {
            sys[i] = value;
        } else {
            gate.refused();
        }
    }

    /** A read through a closed view: 0, and the gate hears of it. */
    private long refusedRead() {
        gate.refused();
        return 0;
    }

    /** A write through a closed view: nothing, and the gate hears of it ({@code n} checked as for an open one). */
    private void refusedWrite(int n) {
        Objects.checkIndex(n, NR_GPRS);
        gate.refused();
    }
}
