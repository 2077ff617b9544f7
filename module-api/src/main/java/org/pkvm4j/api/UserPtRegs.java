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

    private static final int SP = NR_GPRS;
    private static final int PC = NR_GPRS + 1;
    private static final int PSTATE = NR_GPRS + 2;

    // x0..x30, sp, pc, pstate: one array, so that a view shares every register with its file.
    private final long[] file;
    // Null for a register file; for a view, the gate that opens and closes it and hears refusals.
    private final RegsGate gate;
    // A view: the thread it is open for, or null (written by its gate, on that thread only). Kept
    // here rather than in the gate so that the test on every access reads this object alone.
    Thread openFor;

    /** A register file with every register zero. */
    public UserPtRegs() {
        this.file = new long[NR_GPRS + 3];
        this.gate = null;
    }

    /** A view of {@code file}'s registers through {@code gate} (see {@link RegsGate}). */
    UserPtRegs(UserPtRegs file, RegsGate gate) {
        this.file = file.file;
        this.gate = gate;
    }

    /** Whether this is a gated view rather than a register file of its own. */
    boolean isView() {
        return gate != null;
    }

    /** Reads {@code x<n>}; {@code n} is 0..30. A closed view reads 0. */
    public long get(int n) {
        Objects.checkIndex(n, NR_GPRS);
        return read(n);
    }

    /** Writes {@code x<n>}; {@code n} is 0..30. A closed view changes nothing. */
    public void set(int n, long value) {
        Objects.checkIndex(n, NR_GPRS);
        write(n, value);
    }

    /** The stack pointer of the trapped context. */
    public long sp() {
        return read(SP);
    }

    /** Sets the stack pointer. */
    public void setSp(long value) {
        write(SP, value);
    }

    /** The program counter (ELR) of the trapped context. */
    public long pc() {
        return read(PC);
    }

    /** Sets the program counter, as an EL2 handler does to rewind or skip an instruction. */
    public void setPc(long value) {
        write(PC, value);
    }

    /** The saved processor state (SPSR). */
    public long pstate() {
        return read(PSTATE);
    }

    /** Sets the saved processor state. */
    public void setPstate(long value) {
        write(PSTATE, value);
    }

    /** Zeroes every register, as a fresh context. A closed view changes nothing. */
    public void clear() {
        if (usable()) {
            Arrays.fill(file, 0);
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
                .formatted(file[0], file[1], file[2], file[3]);
    }

    /** A register file, or a view open for the calling thread. */
    private boolean usable() {
        return gate == null || openFor == Thread.currentThread();
    }

    private long read(int i) {
        if (usable()) {
            return file[i];
        }
        gate.refused();
        return 0;
    }

    private void write(int i, long value) {
        if (usable()) {
            file[i] = value;
        } else {
            gate.refused();
        }
    }
}
