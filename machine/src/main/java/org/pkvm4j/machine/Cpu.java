package org.pkvm4j.machine;

import org.pkvm4j.api.KvmCpuContext;
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
    private final int id;
    private final Machine machine;
    private final KvmCpuContext hostContext = new KvmCpuContext();
    // Written and read only by the thread that pinned this CPU (nobody else can hold it meanwhile).
    boolean pinned;

    Cpu(int id, Machine machine) {
        this.id = id;
        this.machine = machine;
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
        if (vector == null) {
            throw new IllegalStateException("HVC on CPU" + id + " with no EL2 vector installed");
        }
        vector.hostHvc(this);
        checkNotPanicked();
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

    /** A panicked machine takes no trap: checked on the way into EL2 and on the way back. */
    private void checkNotPanicked() {
        HypPanic panic = machine.panic();
        if (panic != null) {
            throw new HypPanicException(panic);
        }
    }

    boolean tryClaim() {
        return machine.claims().tryClaim(id);
    }

    void release() {
        machine.claims().release(id);
    }

    @Override
    public String toString() {
        return "CPU" + id;
    }
}
