package org.pkvm4j.machine;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.pkvm4j.api.SysReg;

/**
 * The privileged capabilities of a machine: what only EL2 may hold.
 *
 * <p>Kernel counterpart: what the hypervisor owns once the host is deprivileged: the UART it prints
 * to, the module sections the host handed over, the panic path, and the page tables that decide what
 * the host may access ({@link #memory()}). {@link Machine#takeHypPlatform()}
 * hands this out exactly once, to boot code that passes it to the hypervisor image and drops it.
 */
public final class HypPlatform {
    private final Machine machine;
    private final HypMemory memory;

    HypPlatform(Machine machine) {
        this.machine = machine;
        this.memory = new HypMemory(machine.dramInternal(), machine);
    }

    /**
     * Physical memory as EL2 sees it: the page metadata (host stage-2 and hyp vmemmap) that only the
     * hypervisor writes, and unchecked access to DRAM. There is one per machine, reachable only
     * through this platform.
     */
    public HypMemory memory() {
        return memory;
    }

    /** The number of CPUs. */
    public int nrCpus() {
        return machine.nrCpus();
    }

    /** The CPU the calling thread runs its trap on ({@code TPIDR_EL2}). */
    public Cpu currentCpu() {
        return machine.currentCpu();
    }

    /**
     * The writing side of the machine's trace unit, or null when boot code did not switch it on
     * ({@link Machine#enableTrace}): the dispatcher tests this once, at setup.
     */
    public HandlerTrace handlerTrace() {
        TraceUnit unit = machine.traceUnit();
        return unit == null ? null : new HandlerTrace(machine, unit);
    }

    /** CPU {@code id}, 0..nr_cpus-1: the hypervisor makes per-CPU state (register views) from it. */
    public Cpu cpu(int id) {
        return machine.cpus().get(id);
    }

    /**
     * Publishes that vendor EL2 code {@code code} starts running on {@code cpu}, on the calling
     * thread (the thread of the trap). Pair with {@link #exitEl2} in a {@code finally}, passing what
     * this returns.
     *
     * @return the code this entry interrupts, or null at the outermost level
     */
    public El2Code enterEl2(Cpu cpu, El2Code code) {
        return cpu.enterEl2(code);
    }

    /** Publishes that the code entered last on {@code cpu} returned and {@code outer} runs again. */
    public void exitEl2(Cpu cpu, El2Code outer) {
        cpu.exitEl2(outer);
    }

    /**
     * Whether the calling thread runs vendor code of {@code owner} (an {@link El2Code#owner()}) on
     * one of this machine's CPUs right now: inside a trap, in that module's code.
     */
    public boolean runsEl2Of(Object owner) {
        Thread me = Thread.currentThread();
        for (Cpu cpu : machine.cpuArray()) {
            if (cpu.runsEl2Of(me, owner)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Charges {@code bytes} allocated by code of {@code owner} to the trap running it on the calling
     * thread, and returns the trap's total so far; -1 if the calling thread runs no code of {@code
     * owner} on a CPU (the caller fails closed).
     */
    public long chargeEl2Allocation(Object owner, long bytes) {
        Thread me = Thread.currentThread();
        for (Cpu cpu : machine.cpuArray()) {
            if (cpu.runsEl2Of(me, owner)) {
                return cpu.chargeEl2(bytes);
            }
        }
        return -1;
    }

    /** The innermost vendor EL2 code running on {@code cpu} right now, or null. */
    public El2Code runningEl2(Cpu cpu) {
        return cpu.el2CodeSample();
    }

    /** The CPU on which the calling thread runs vendor EL2 code right now, or null. */
    public Cpu el2Cpu() {
        Thread me = Thread.currentThread();
        for (Cpu cpu : machine.cpuArray()) {
            if (cpu.runsEl2(me)) {
                return cpu;
            }
        }
        return null;
    }

    /**
     * Arms the lockup detector for this machine: vendor code published with {@link #enterEl2} that
     * runs past {@code budgetNanos} and returns is reported to {@code listener} as over budget; code
     * still running after {@code boundNanos} as a lockup; a trap seen to have allocated more than
     * {@code allocBytes} (if positive) since its first sample as over its allocation budget. Once per
     * machine.
     *
     * @throws IllegalArgumentException unless {@code 0 < budgetNanos}, {@code 0 < boundNanos} and
     *     {@code 0 <= allocBytes}
     * @throws IllegalStateException if it is armed already
     */
    public void armLockupDetector(long boundNanos, long budgetNanos, long allocBytes, LockupListener listener) {
        machine.armLockupDetector(boundNanos, budgetNanos, allocBytes, listener);
    }

    /** Calls {@code listener} when this machine panics, for any reason, on the panicking thread. */
    public void onPanic(Consumer<HypPanic> listener) {
        machine.onHypPanic(listener);
    }

    /** The hypervisor's own serial port. */
    public Uart uart() {
        return machine.uart();
    }

    /**
     * Takes over the EL2 image the host placed at {@code pa}; the host can no longer free it.
     *
     * @return the image, or null if nothing is placed there
     */
    public El2Image takeModuleImage(long pa) {
        return machine.moduleRam().take(pa);
    }

    /** The machine's monotonic clock in nanoseconds since power-on ({@code CNTVCT_EL0}). */
    public long uptimeNanos() {
        return machine.uptimeNanos();
    }

    /** Whether the hypervisor has panicked: EL2 code still running then is only unwinding. */
    public boolean panicked() {
        return machine.panic() != null;
    }

    /**
     * Panics the hypervisor: records the report, and from then on every {@link Cpu#hvc()} throws
     * {@link HypPanicException}. The first panic wins.
     *
     * <p>Kernel counterpart: {@code hyp_panic()}. An {@link OutOfMemoryError} as the cause makes it an
     * EL2 out-of-memory panic: the reason then starts with {@link PanicCause#OUT_OF_MEMORY}.
     */
    public void panic(Cpu cpu, String reason, Throwable cause) {
        String why = cause instanceof OutOfMemoryError && !reason.startsWith(PanicCause.OUT_OF_MEMORY)
                ? PanicCause.OUT_OF_MEMORY + ": " + reason : reason;
        // Quoted as data: never a module's toString or getMessage (PanicCause).
        panicWithDetail(cpu, why, cause == null ? "" : PanicCause.stackTrace(cause));
    }

    /**
     * Panics the hypervisor with a report whose detail is {@code detail} (e.g. a stack the lockup
     * detector read). The first panic wins.
     */
    public void panicWithDetail(Cpu cpu, String reason, String detail) {
        machine.panic(cpu, new HypPanic(cpu.id(), reason, detail, machine.uptimeNanos()));
    }

    /**
     * Installs {@code hook}, run on the panicking thread before every panic is recorded ({@code
     * hyp_panic} calling the panic notifiers before the report); once. A panic while the hook runs is
     * recorded at once, so a hook that never returns cannot hold the report back.
     *
     * @throws IllegalStateException if a hook is installed already
     */
    public void beforePanic(BiConsumer<Cpu, HypPanic> hook) {
        machine.beforePanic(hook);
    }

    /** {@code HCR_EL2} of {@code cpu}, live. */
    public long hcrEl2(Cpu cpu) {
        return cpu.hcrEl2();
    }

    /** Writes {@code HCR_EL2} of {@code cpu}: from now on the host's system-register accesses trap as its bits say. */
    public void writeHcrEl2(Cpu cpu, long value) {
        cpu.hcrEl2(value);
    }

    /** {@code HFGWTR_EL2} of {@code cpu}, live. */
    public long hfgwtrEl2(Cpu cpu) {
        return cpu.hfgwtrEl2();
    }

    /** Writes {@code HFGWTR_EL2} of {@code cpu}: the fine-grained write traps. */
    public void writeHfgwtrEl2(Cpu cpu, long value) {
        cpu.hfgwtrEl2(value);
    }

    /** An EL2 {@code MRS} of EL1 register {@code reg} on {@code cpu} (never traps). */
    public long readEl1Sysreg(Cpu cpu, SysReg reg) {
        return cpu.el1Sysreg(reg);
    }

    /** An EL2 {@code MSR} to EL1 register {@code reg} on {@code cpu} (never traps), read-only ones included. */
    public void writeEl1Sysreg(Cpu cpu, SysReg reg, long value) {
        cpu.el1Sysreg(reg, value);
    }

    /**
     * Clears {@code PSTATE.A} at EL2 on {@code cpu}, for the rest of its trap.
     *
     * @return whether a pending SError was taken at EL2 at once (the caller panics)
     */
    public boolean unmaskSerror(Cpu cpu) {
        return cpu.unmaskSerrorAtEl2();
    }

    /**
     * Sets {@code PSTATE.A} at EL2 on {@code cpu} again.
     *
     * @return whether an SError that became pending while unmasked was taken first (the caller panics)
     */
    public boolean maskSerror(Cpu cpu) {
        return cpu.maskSerrorAtEl2();
    }

    /** Whether {@code cpu}'s host_hyp_reqs slot holds a request the host has not taken. */
    public boolean hypAllocRequested(Cpu cpu) {
        return cpu.hypRequest() != 0;
    }

    /** Writes {@code cpu}'s host_hyp_reqs slot: the host should donate {@code nrPages} pages to the heap. */
    public void requestHypAlloc(Cpu cpu, int nrPages) {
        cpu.hypRequest(HypRequest.of(HypRequest.DEST_HYP_ALLOC, nrPages));
    }

    /**
     * Writes {@code cpu}'s host_hyp_reqs slot with {@code request} (a {@link HypRequest} word) if it is
     * empty.
     *
     * @return whether it was empty
     */
    public boolean postHypRequest(Cpu cpu, long request) {
        if (cpu.hypRequest() != 0) {
            return false;
        }
        cpu.hypRequest(request);
        return true;
    }

    // ---------------------------------------------------------------- SMC, power, per-CPU registers

    /**
     * Forwards the SMC in {@code cpu}'s host registers to the firmware at EL3 and returns how it came
     * back; the results are in the same registers.
     *
     * <p>Kernel counterpart: {@code __kvm_hyp_host_forward_smc} and the relay's {@code psci_call}.
     */
    public El3Return smcToEl3(Cpu cpu) {
        return machine.firmware().smc(cpu, true);
    }

    /** Reads EL2 system register {@code reg} of {@code cpu} (only that CPU's own trap reads it). */
    public long readSysReg(Cpu cpu, El2SysReg reg) {
        return cpu.sysReg(reg);
    }

    /** Writes EL2 system register {@code reg} of {@code cpu} (only that CPU's own trap writes it). */
    public void writeSysReg(Cpu cpu, El2SysReg reg, long value) {
        cpu.setSysReg(reg, value);
    }

    /** The guest registers {@code cpu} runs a vCPU with during a guest world switch. */
    public org.pkvm4j.api.UserPtRegs guestRegs(Cpu cpu) {
        return cpu.guestContext().regs();
    }

    /** The first PA of the pvmfw region ({@link Machine#pvmfwBase()}). */
    public long pvmfwBase() {
        return machine.pvmfwBase();
    }
}
