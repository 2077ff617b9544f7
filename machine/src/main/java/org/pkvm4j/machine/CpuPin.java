package org.pkvm4j.machine;

/**
 * A CPU the calling thread keeps for a stretch of traps: {@code preempt_disable()} around many
 * hypercalls, or a vCPU thread that stays on its physical CPU.
 *
 * <p>While pinned, {@link Machine#getCpu()} returns this CPU without claiming it again, which takes
 * an atomic operation off every trap; no other thread can trap on it. Close it on the thread that
 * opened it, preferably with try-with-resources.
 */
public final class CpuPin implements AutoCloseable {
    private final Machine machine;
    private final Cpu cpu;
    private boolean closed;

    CpuPin(Machine machine, Cpu cpu) {
        this.machine = machine;
        this.cpu = cpu;
    }

    /** The pinned CPU. */
    public Cpu cpu() {
        return cpu;
    }

    /**
     * Gives the CPU back.
     *
     * @throws IllegalStateException on another thread than the one that pinned
     */
    @Override
    public void close() {
        if (!closed) {
            machine.unpin(cpu);
            closed = true;
        }
    }
}
