package org.pkvm4j.machine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.UserPtRegs;

/**
 * One arm64 CPU: its host register context and the {@code HVC} instruction.
 *
 * <p>A CPU runs one thing at a time. The host claims one for the length of a trap with {@link
 * Machine#getCpu()} and gives it back with {@link Machine#putCpu(Cpu)}, the {@code get_cpu()} /
 * {@code put_cpu()} pair that disables preemption around a hypercall; the registers of {@link
 * #hostContext()} belong to the claimer until then. A thread that traps often can pin a CPU for a
 * longer stretch instead ({@link Machine#pinCurrentThread()}, a {@code preempt_disable()} region).
 */
public final class Cpu {
    private static final VarHandle EL2_TID;
    private static final VarHandle EL2_THREAD;
    private static final VarHandle EL2_CODE;
    private static final VarHandle EL2_TRAP;
    private static final VarHandle EL2_SEQ;
    private static final int HCR_EL2 = El2SysReg.HCR_EL2.ordinal();
    private static final int HFGWTR_EL2 = El2SysReg.HFGWTR_EL2.ordinal();

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            EL2_TID = l.findVarHandle(Cpu.class, "el2Tid", long.class);
            EL2_THREAD = l.findVarHandle(Cpu.class, "el2Thread", Thread.class);
            EL2_CODE = l.findVarHandle(Cpu.class, "el2Code", El2Code.class);
            EL2_TRAP = l.findVarHandle(Cpu.class, "el2Trap", El2Code.class);
            EL2_SEQ = l.findVarHandle(Cpu.class, "el2Seq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int id;
    private final Machine machine;
    private final KvmCpuContext hostContext = new KvmCpuContext();
    // The registers of the guest vCPU this CPU runs during a guest world switch (the hyp vCPU's context).
    private final KvmCpuContext guestContext = new KvmCpuContext();
    // EL2 system registers (El2SysReg): written by EL2 on the CPU's own trap, lost by a powerdown.
    // The trap controls among them (HCR_EL2, HFGWTR_EL2) are read on every MSR/MRS of the host.
    private final long[] el2SysRegs = new long[El2SysReg.values().length];
    // El3Firmware.ON / OFF / ON_PENDING: changed by the firmware under its monitor, read anywhere.
    private volatile int power = El3Firmware.ON;
    // Written and read only by the thread that pinned this CPU (nobody else can hold it meanwhile).
    boolean pinned;
    // Vendor EL2 code running on this CPU (HypPlatform.enterEl2): written only by the thread of the
    // trap, with plain stores (no fence, no compiler barrier on the trap); the lockup detector's
    // thread reads them opaquely, so it sees them change. A stuck trap sits in a loop whose
    // safepoint and preemption polls keep every earlier store in place, so the detector sees what
    // it runs. el2Tid, the id of the trap's thread (0: none), says whether anything runs; a thread
    // that reads its own id there wrote it itself (ids are never reused). el2Thread and el2Code keep
    // the last trap's values after it returned and are stored only when they change: a reference
    // store into this long-lived object costs a G1 write barrier with a StoreLoad fence, and a CPU
    // usually runs the same handler for the same thread many times in a row.
    private long el2Tid;
    private Thread el2Thread;
    private El2Code el2Code;
    // Set only while nested code runs: the outermost code of the trap (null otherwise, el2Code is it).
    private El2Code el2Trap;
    private long el2Seq;
    // What vendor code allocated in arrays during the trap numbered el2ChargedSeq (chargeEl2): only
    // the trap's own thread touches them, and a new trap starts from 0 without a store on its path.
    private long el2ChargedSeq = -1;
    private long el2Charged;
    // The EL1 system registers, indexed by SysReg ordinal. Like the host context, they belong to the
    // thread that claimed this CPU (the claim's compare-and-swap orders them between claimers).
    private final long[] el1Sysregs = new long[SysReg.values().length];
    // An SError pending on this CPU (raised from anywhere, hence volatile), whether EL2 runs with it
    // unmasked (PSTATE.A clear), and how many the host took at EL1.
    private volatile boolean serrorPending;
    private boolean el2SerrorUnmasked;
    private long hostSerrors;
    // This CPU's host_hyp_reqs slot, a HypRequest word (0: none). Written by the hypervisor during a
    // trap, read by the host after it, on the same thread.
    private long hypRequest;

    Cpu(int id, Machine machine) {
        this.id = id;
        this.machine = machine;
        resetEl1Sysregs();
        el2SysRegs[HCR_EL2] = Hcr.HOST_NVHE_FLAGS;
    }

    /** The CPU number, 0..nr_cpus-1 ({@code smp_processor_id()}). */
    public int id() {
        return id;
    }

    /**
     * The host context saved on this CPU: x0 holds the function id on the way in and the SMCCC
     * status on the way out; x1..x3 the arguments and results.
     */
    public KvmCpuContext hostContext() {
        return hostContext;
    }

    /** Shorthand for {@code hostContext().regs()}. */
    public UserPtRegs regs() {
        return hostContext.regs();
    }

    /**
     * Executes {@code HVC #0}: traps to the EL2 vector with this CPU's host context and returns
     * when EL2 erets.
     *
     * @throws IllegalStateException if no EL2 vector is installed (an HVC without EL2 is UNDEFINED)
     * @throws HypPanicException if the hypervisor has panicked, before or during this trap
     */
    public void hvc() {
        El2Vector vector = machine.el2Vector();
        checkNotPanicked();
        checkOn("HVC");
        if (vector == null) {
            throw new IllegalStateException("HVC on CPU" + id + " with no EL2 vector installed");
        }
        vector.hostHvc(this);
        checkNotPanicked();
        takeHostSerror();
    }

    /**
     * Executes {@code SMC #0}: traps to the EL2 vector ({@link El2Vector#hostSmc}) with this CPU's
     * host context, or, with no EL2 vector installed, goes straight to the firmware ({@link
     * El3Firmware}); returns when the call returns. CPUs a CPU_ON in this call switched on enter
     * before this returns.
     *
     * <p>A CPU_OFF, SYSTEM_OFF or SYSTEM_RESET that succeeds returns too (the model has nowhere else
     * to go): from then on this CPU takes no trap.
     *
     * @throws IllegalStateException if this CPU is off
     * @throws HypPanicException if the hypervisor has panicked, before or during this trap
     */
    public void smc() {
        El2Vector vector = machine.el2Vector();
        checkNotPanicked();
        checkOn("SMC");
        if (vector == null) {
            machine.firmware().smc(this, false);
        } else {
            vector.hostSmc(this);
        }
        checkNotPanicked();
        machine.firmware().bootPendingCpus(this);
    }

    /** An off CPU executes nothing. */
    private void checkOn(String insn) {
        if (power != El3Firmware.ON) {
            throw new IllegalStateException("%s on CPU%d, which is off (%s)".formatted(insn, id,
                    machine.systemPower() == SystemPower.RUNNING ? "PSCI CPU_OFF" : "PSCI " + machine.systemPower()));
        }
    }

    /** Whether this CPU is on: not switched off by PSCI CPU_OFF, SYSTEM_OFF or SYSTEM_RESET. */
    public boolean isOn() {
        return power == El3Firmware.ON;
    }

    /** The PSCI AFFINITY_INFO state: 0 on, 1 off, 2 on pending. */
    int power() {
        return power;
    }

    void setPower(int state) {
        power = state;
    }

    /**
     * Loses this CPU's context (the firmware's powerdown): its host and guest registers, its EL2
     * system registers ({@link El2SysReg}, the trap controls among them; 0 in the model for the
     * architecture's UNKNOWN) and its EL1 system registers (back to their reset values)
     * are reset; it is then in {@code state}. Whoever runs on it next must load what it needs again:
     * the hypervisor its per-CPU EL2 state on the entry from the firmware, the host its EL1 context
     * in {@code cpu_resume}.
     */
    void powerDown(int state) {
        hostContext.regs().clear();
        guestContext.regs().clear();
        java.util.Arrays.fill(el2SysRegs, 0);
        resetEl1Sysregs();
        power = state;
    }

    /** The EL1 system registers as a reset leaves them (power-on, and every powerdown). */
    private void resetEl1Sysregs() {
        for (SysReg r : SysReg.values()) {
            el1Sysregs[r.ordinal()] = r.resetValue();
        }
    }

    long sysReg(El2SysReg reg) {
        return el2SysRegs[reg.ordinal()];
    }

    void setSysReg(El2SysReg reg, long value) {
        el2SysRegs[reg.ordinal()] = value;
    }

    /** The guest registers of the vCPU this CPU runs during a world switch. */
    KvmCpuContext guestContext() {
        return guestContext;
    }

    /**
     * Takes a host stage-2 fault at {@code pa} to {@code vector} ({@code handle_host_mem_abort}).
     *
     * @return EL2's answer: see {@link El2Vector#hostMemAbort}
     * @throws HypPanicException if the hypervisor has panicked, before or during this trap
     */
    OwnerId memAbort(El2Vector vector, long pa, boolean write) {
        checkNotPanicked();
        OwnerId owner = vector.hostMemAbort(this, pa, write);
        checkNotPanicked();
        return owner;
    }

    /**
     * Takes a host stage-2 permission fault to EL2 on this CPU (the caller has claimed it).
     *
     * @return EL2's answer: see {@link El2Vector#hostPermFault}
     * @throws HypPanicException if the hypervisor has panicked, before or during this trap
     */
    boolean permFault(El2Vector vector, long pa, boolean write) {
        checkNotPanicked();
        boolean claimed = vector.hostPermFault(this, pa, write);
        checkNotPanicked();
        return claimed;
    }

    /**
     * Executes {@code MSR <reg>, X<rt>}: writes {@code regs().get(rt)} to {@code reg}, or traps to EL2
     * if {@code HCR_EL2} or {@code HFGWTR_EL2} make writes to it trap; EL2's handler then decides
     * what the write does.
     *
     * @throws IllegalArgumentException for a read-only register ({@code MSR} is UNDEFINED) or an Rt
     *     outside 0..30
     * @throws HypPanicException if the hypervisor has panicked, before or during the trap
     */
    public void msr(SysReg reg, int rt) {
        if (reg.readOnly()) {
            throw new IllegalArgumentException("MSR " + reg + " is UNDEFINED: the register is read-only");
        }
        long esr = reg.esr(rt, false);
        if ((el2SysRegs[HCR_EL2] & reg.hcrWriteTraps()) != 0 || (el2SysRegs[HFGWTR_EL2] & reg.hfgwtrBit()) != 0) {
            sysregTrap(esr);
            return;
        }
        el1Sysregs[reg.ordinal()] = hostContext.regs().get(rt);
    }

    /**
     * Executes {@code MRS X<rt>, <reg>}: reads {@code reg} into {@code regs()} x{@code rt}, or traps
     * to EL2 if {@code HCR_EL2} makes reads of it trap; EL2's handler then writes x{@code rt}.
     *
     * @throws IllegalArgumentException for an Rt outside 0..30
     * @throws HypPanicException if the hypervisor has panicked, before or during the trap
     */
    public void mrs(SysReg reg, int rt) {
        long esr = reg.esr(rt, true);
        if ((el2SysRegs[HCR_EL2] & reg.hcrReadTraps()) != 0) {
            sysregTrap(esr);
            return;
        }
        hostContext.regs().set(rt, el1Sysregs[reg.ordinal()]);
    }

    /** Takes a trapped system-register access to EL2 ({@code ESR_EL2 = esr}). */
    private void sysregTrap(long esr) {
        El2Vector vector = machine.el2Vector();
        checkNotPanicked();
        if (vector == null) {
            throw new IllegalStateException("a trapped MSR/MRS on CPU" + id + " with no EL2 vector installed");
        }
        boolean handled = vector.sysregTrap(this, esr);
        checkNotPanicked();
        if (!handled) {
            throw new IllegalStateException("EL2 returned from an unhandled system-register trap on CPU" + id);
        }
        takeHostSerror();
    }

    /** On the way back to EL1 (which runs with SError unmasked), the host takes a pending SError. */
    private void takeHostSerror() {
        if (serrorPending) {
            serrorPending = false;
            hostSerrors++;
        }
    }

    /** How many SErrors the host took on this CPU (its {@code do_serror}). */
    public long hostSerrors() {
        return hostSerrors;
    }

    /**
     * Takes the request EL2 left in this CPU's {@code host_hyp_reqs} slot, and empties the slot.
     *
     * @return the request, a {@link HypRequest} word; 0 if there is none
     */
    public long takeHypRequest() {
        long r = hypRequest;
        if (r != 0) {
            hypRequest = 0; // read on every HVC's way back, written only when there was a request
        }
        return r;
    }

    long hypRequest() {
        return hypRequest;
    }

    void hypRequest(long request) {
        hypRequest = request;
    }

    long el1Sysreg(SysReg reg) {
        return el1Sysregs[reg.ordinal()];
    }

    void el1Sysreg(SysReg reg, long value) {
        el1Sysregs[reg.ordinal()] = value;
    }

    long hcrEl2() {
        return el2SysRegs[HCR_EL2];
    }

    void hcrEl2(long value) {
        el2SysRegs[HCR_EL2] = value;
    }

    long hfgwtrEl2() {
        return el2SysRegs[HFGWTR_EL2];
    }

    void hfgwtrEl2(long value) {
        el2SysRegs[HFGWTR_EL2] = value;
    }

    void raiseSerror() {
        serrorPending = true;
    }

    /** Clears PSTATE.A at EL2; returns whether a pending SError was taken at once (and is no longer pending). */
    boolean unmaskSerrorAtEl2() {
        el2SerrorUnmasked = true;
        return takeEl2Serror();
    }

    /** Sets PSTATE.A at EL2 again; returns whether an SError pending meanwhile was taken first. */
    boolean maskSerrorAtEl2() {
        boolean taken = takeEl2Serror();
        el2SerrorUnmasked = false;
        return taken;
    }

    private boolean takeEl2Serror() {
        if (el2SerrorUnmasked && serrorPending) {
            serrorPending = false;
            return true;
        }
        return false;
    }

    /** A panicked machine takes no trap: checked on the way into EL2 and on the way back. */
    private void checkNotPanicked() {
        HypPanic panic = machine.panic();
        if (panic != null) {
            throw new HypPanicException(panic);
        }
    }

    /**
     * Publishes that {@code code} starts running on this CPU, on the calling thread; returns the code
     * it interrupts (null at the outermost level), which {@link #exitEl2} restores. Only the
     * outermost entry counts as a new trap for the lockup detector.
     */
    El2Code enterEl2(El2Code code) {
        if (el2Tid == 0) {
            Thread me = Thread.currentThread();
            if (el2Thread != me) {
                el2Thread = me;
            }
            if (el2Code != code) {
                el2Code = code;
            }
            el2Seq++;
            el2Tid = me.threadId();
            return null;
        }
        // Nested (a handler's puts reaching a serial driver): keep the trap's own code apart.
        El2Code outer = el2Code;
        if (el2Trap == null) {
            el2Trap = outer;
        }
        el2Code = code;
        return outer;
    }

    /** Publishes that the code entered last returned, and {@code outer} (or nothing) runs again. */
    void exitEl2(El2Code outer) {
        if (outer == null) {
            el2Tid = 0; // el2Thread and el2Code stay, as the last trap's (see the fields)
            return;
        }
        el2Code = outer;
        if (el2Trap == outer) {
            el2Trap = null; // back at the outermost level: no longer nested
        }
    }

    /** Whether the calling thread runs code of {@code owner} on this CPU right now. */
    boolean runsEl2Of(Thread me, Object owner) {
        return el2Tid == me.threadId() && el2Code.owner() == owner;
    }

    /**
     * Adds {@code bytes} to what vendor code allocated during the trap running here and returns the
     * trap's total so far (saturating). Called only by the trap's own thread.
     */
    long chargeEl2(long bytes) {
        if (el2ChargedSeq != el2Seq) {
            el2ChargedSeq = el2Seq;
            el2Charged = 0;
        }
        long total = el2Charged + bytes;
        el2Charged = total < 0 ? Long.MAX_VALUE : total;
        return el2Charged;
    }

    /** Whether the calling thread runs vendor EL2 code on this CPU right now. */
    boolean runsEl2(Thread me) {
        return el2Tid == me.threadId();
    }

    /** The thread running vendor EL2 code here, or null: the lockup detector's read. */
    Thread el2ThreadSample() {
        return (long) EL2_TID.getOpaque(this) == 0 ? null : (Thread) EL2_THREAD.getOpaque(this);
    }

    /** The count of outermost EL2 entries so far: the lockup detector's read. */
    long el2SeqSample() {
        return (long) EL2_SEQ.getOpaque(this);
    }

    /** The innermost code running here, or null: the lockup detector's read. */
    El2Code el2CodeSample() {
        return (long) EL2_TID.getOpaque(this) == 0 ? null : (El2Code) EL2_CODE.getOpaque(this);
    }

    /** The outermost code of the trap running here, or null: the lockup detector's read. */
    El2Code el2TrapSample() {
        if ((long) EL2_TID.getOpaque(this) == 0) {
            return null;
        }
        El2Code nestedIn = (El2Code) EL2_TRAP.getOpaque(this);
        return nestedIn != null ? nestedIn : (El2Code) EL2_CODE.getOpaque(this);
    }

    Machine machine() {
        return machine;
    }

    boolean tryClaim() {
        return machine.claims().tryClaim(id);
    }

    /** Gives the CPU back; an off CPU stays parked, so nobody can claim it. */
    void release() {
        if (power == El3Firmware.OFF) {
            machine.claims().park(id);
        } else {
            machine.claims().release(id);
        }
    }

    /** Claims this CPU out of its parked (off) state, for the firmware starting it. */
    boolean claimParked() {
        return machine.claims().claimParked(id);
    }

    @Override
    public String toString() {
        return "CPU" + id;
    }
}
