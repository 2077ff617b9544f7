package org.pkvm4j.machine;

/**
 * The hypervisor's side of the {@link TraceUnit}: records one handler execution on the CPU that ran it.
 *
 * <p>Reached only through {@link HypPlatform#handlerTrace()}, which answers null when tracing is off,
 * so the dispatcher's untraced path is one null test of a final field.
 */
public final class HandlerTrace {
    private final Machine machine;
    private final TraceUnit unit;

    HandlerTrace(Machine machine, TraceUnit unit) {
        this.machine = machine;
        this.unit = unit;
    }

    /** The machine's clock ({@code CNTVCT_EL0}), for the start of a span. */
    public long now() {
        return machine.uptimeNanos();
    }

    /** Records that handler {@code symbol} of {@code module} ran for dynamic hypercall {@code hvc} from {@code startNanos} until now. */
    public void span(String module, String symbol, long hvc, long startNanos) {
        long end = machine.uptimeNanos();
        Cpu cpu = machine.currentCpu();
        unit.record(cpu == null ? 0 : cpu.id(), module, symbol, hvc, startNanos, end - startNanos);
    }

    /**
     * Records that code {@code symbol} of {@code module} ran on {@code cpu} for at least {@code
     * durNanos}, over its budget, ending about now: a span whose hvc is {@link TraceUnit#OVER_BUDGET}.
     * Called by the lockup detector's listener, off the trap.
     */
    public void overBudget(Cpu cpu, String module, String symbol, long durNanos) {
        long end = machine.uptimeNanos();
        unit.record(cpu.id(), module, symbol, TraceUnit.OVER_BUDGET, end - durNanos, durNanos);
    }

    /**
     * Records event {@code text} of {@code module} on {@code cpu}, now: a span whose hvc is {@link
     * TraceUnit#HYP_EVENT} ({@code tracing_commit_entry}, {@code tracing_mod_hyp_printk}).
     */
    public void event(Cpu cpu, String module, String text) {
        unit.record(cpu.id(), module, text, TraceUnit.HYP_EVENT, machine.uptimeNanos(), 0);
    }
}
