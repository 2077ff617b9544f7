package org.pkvm4j.machine;


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

    /**
     * Panics the hypervisor: records the report, and from then on every {@link Cpu#hvc()} throws
     * {@link HypPanicException}. The first panic wins.
     *
     * <p>Kernel counterpart: {@code hyp_panic()}.
     */
    public void panic(Cpu cpu, String reason, Throwable cause) {
        // Quoted as data: never a module's toString or getMessage (PanicCause).
        String detail = cause == null ? "" : PanicCause.stackTrace(cause);
        machine.recordPanic(new HypPanic(cpu.id(), reason, detail, machine.uptimeNanos()));
    }
}
