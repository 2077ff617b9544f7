package org.pkvm4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one {@code el2ModCall} round trip against a plain interface call of the same handler
 * body, in two shapes: one handler called again and again, and eight handlers of eight modules
 * called in turn from one call site. Average time per call, one thread.
 *
 * <p>A trap round trip is {@code Pkvm.el2ModCall} (the HVC-number check) through {@code
 * HvcGateway} ({@code get_cpu}, four registers written, two read, {@code put_cpu}), {@code
 * Cpu.hvc} (the EL2 vector) and the hypervisor's dispatch ({@code HypMain}, {@code DynamicHcalls},
 * the linked handler) to the handler and back.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class ModCallBench {

    /** One handler, called again and again: {@code pkvm_el2_mod_call(bench0_hvc, 41)}. */
    @Benchmark
    public long oneHandler_trap(Device d, Caller c) {
        return Caller.trapOne(d, c);
    }

    /** Baseline: the same handler body through {@code UserPtRegsHandler.handle}. */
    @Benchmark
    public long oneHandler_direct(Caller c) {
        return Caller.directOne(c);
    }

    /** Eight modules' handlers called in turn, one call per operation. */
    @Benchmark
    public long eightHandlers_trap(Device d, Caller c) {
        return Caller.trapEight(d, c);
    }

    /** {@link #oneHandler_trap} from a thread that pinned its CPU: no CPU claim per trap. */
    @Benchmark
    public long oneHandler_trapPinned(Device d, Caller c, PinnedCpu pinned) {
        return Caller.trapOne(d, c);
    }

    /** {@link #eightHandlers_trap} from a thread that pinned its CPU. */
    @Benchmark
    public long eightHandlers_trapPinned(Device d, Caller c, PinnedCpu pinned) {
        return Caller.trapEight(d, c);
    }

    /** Baseline: eight handler classes called in turn from one interface call site. */
    @Benchmark
    public long eightHandlers_direct(Caller c) {
        return Caller.directEight(c);
    }
}
