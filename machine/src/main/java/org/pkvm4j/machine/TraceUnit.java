package org.pkvm4j.machine;

import java.util.Objects;

/**
 * The machine's trace unit: per-CPU buffers of EL2 handler spans that the hypervisor writes and the
 * host reads, like an ETM/TRBE trace buffer both exception levels can see.
 *
 * <p>Boot code switches it on while it still holds the whole machine ({@link Machine#enableTrace}),
 * before the hypervisor is handed its platform; the hypervisor then finds its writing side through
 * {@link HypPlatform#handlerTrace()}. The host holds only this reading side: draining a buffer changes
 * nothing at EL2. Each CPU's buffer is bounded; a span that finds it full is dropped and counted, so
 * a long workload costs bounded memory and the trace says how much it lost.
 */
public final class TraceUnit {
    /** One handler execution, on the machine's clock. */
    public record Span(int cpu, String module, String symbol, long hvc, long startNanos, long durNanos) {
    }

    /** What {@link #drain} hands each span to. */
    @FunctionalInterface
    public interface SpanConsumer {
        /** Takes one span. */
        void accept(Span span);
    }

    /** The hvc of a span that reports code over its budget rather than one handler run. */
    public static final long OVER_BUDGET = -1;
    /**
     * The hvc of a span that is an event a module wrote with hyp tracing (an instant: its duration is
     * 0, its symbol the event's text).
     */
    public static final long HYP_EVENT = -2;

    private final Ring[] rings;

    TraceUnit(int nrCpus, int spansPerCpu) {
        if (spansPerCpu < 1) {
            throw new IllegalArgumentException("a trace buffer holds at least one span: " + spansPerCpu);
        }
        rings = new Ring[nrCpus];
        for (int i = 0; i < nrCpus; i++) {
            rings[i] = new Ring(spansPerCpu);
        }
    }

    /** Hands every buffered span to {@code consumer}, CPU by CPU, oldest first, and empties the buffers. */
    public void drain(SpanConsumer consumer) {
        Objects.requireNonNull(consumer, "consumer");
        for (int cpu = 0; cpu < rings.length; cpu++) {
            for (Span s : rings[cpu].take(cpu)) {
                consumer.accept(s);
            }
        }
    }

    /** How many spans found their CPU's buffer full and were lost. */
    public long dropped() {
        long n = 0;
        for (Ring r : rings) {
            n += r.dropped();
        }
        return n;
    }

    void record(int cpu, String module, String symbol, long hvc, long startNanos, long durNanos) {
        rings[cpu].add(module, symbol, hvc, startNanos, durNanos);
    }

    /**
     * One CPU's buffer. Only the thread that claimed the CPU writes it, but the host drains it from
     * another thread, hence the lock (uncontended while tracing; no cost at all when tracing is off).
     */
    private static final class Ring {
        private final String[] modules;
        private final String[] symbols;
        private final long[] hvcs;
        private final long[] starts;
        private final long[] durs;
        private int size;
        private long dropped;

        Ring(int capacity) {
            modules = new String[capacity];
            symbols = new String[capacity];
            hvcs = new long[capacity];
            starts = new long[capacity];
            durs = new long[capacity];
        }

        synchronized void add(String module, String symbol, long hvc, long start, long dur) {
            if (size == modules.length) {
                dropped++;
                return;
            }
            modules[size] = module;
            symbols[size] = symbol;
            hvcs[size] = hvc;
            starts[size] = start;
            durs[size] = dur;
            size++;
        }

        synchronized Span[] take(int cpu) {
            Span[] out = new Span[size];
            for (int i = 0; i < size; i++) {
                out[i] = new Span(cpu, modules[i], symbols[i], hvcs[i], starts[i], durs[i]);
                modules[i] = null;
                symbols[i] = null;
            }
            size = 0;
            return out;
        }

        synchronized long dropped() {
            return dropped;
        }
    }
}
