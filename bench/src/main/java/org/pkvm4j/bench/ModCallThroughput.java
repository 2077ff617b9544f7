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
 * Trap round trips per microsecond with one and with two threads calling at once, on a 4-CPU
 * device: each thread claims its own simulated CPU, so two threads should come close to twice one
 * on a machine with two free cores. The score of a two-thread run is the sum of both threads.
 * The direct baseline is measured the same way, for the host's own scaling.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class ModCallThroughput {

    /** One handler, one thread. */
    @Benchmark
    @Threads(1)
    public long oneHandler_trap_1t(Device d, Caller c) {
        return Caller.trapOne(d, c);
    }

    /** One handler, two threads. */
    @Benchmark
    @Threads(2)
    public long oneHandler_trap_2t(Device d, Caller c) {
        return Caller.trapOne(d, c);
    }

    /** Eight handlers in turn, one thread. */
    @Benchmark
    @Threads(1)
    public long eightHandlers_trap_1t(Device d, Caller c) {
        return Caller.trapEight(d, c);
    }

    /** Eight handlers in turn, two threads. */
    @Benchmark
    @Threads(2)
    public long eightHandlers_trap_2t(Device d, Caller c) {
        return Caller.trapEight(d, c);
    }

    /** Baseline, one handler, one thread. */
    @Benchmark
    @Threads(1)
    public long oneHandler_direct_1t(Caller c) {
        return Caller.directOne(c);
    }

    /** Baseline, one handler, two threads. */
    @Benchmark
    @Threads(2)
    public long oneHandler_direct_2t(Caller c) {
        return Caller.directOne(c);
    }
}
