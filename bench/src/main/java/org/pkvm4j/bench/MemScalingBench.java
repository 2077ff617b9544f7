package org.pkvm4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Transitions on disjoint pages from one and from two threads: share+unshare pairs per
 * microsecond (a two-thread score is the sum of both). Each thread shares its own page ({@link
 * MemDevice#SHARE_PFN} + 64 * thread index, so their metadata words sit on different cache lines)
 * and traps on its own simulated CPU; what they share is the hypervisor's component locks, which
 * every transition takes ({@code host_mmu.lock}, then {@code pkvm_pgd_lock}), as in the kernel.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MemScalingBench {

    /** One benchmark thread's page. */
    @State(Scope.Thread)
    public static class Page {
        /** The pfn this thread shares and unshares. */
        public long pfn;

        /** Picks the thread's page. */
        @Setup(Level.Trial)
        public void pick(ThreadParams thread) {
            pfn = MemDevice.SHARE_PFN + 64L * thread.getThreadIndex();
        }
    }

    /** share+unshare of one page, one thread. */
    @Benchmark
    @Threads(1)
    public long shareUnshare_1t(MemDevice d, Page p) {
        return MemOwnershipBench.shareUnshare(d, p.pfn);
    }

    /** share+unshare, two threads, each on its own page. */
    @Benchmark
    @Threads(2)
    public long shareUnshare_2t(MemDevice d, Page p) {
        return MemOwnershipBench.shareUnshare(d, p.pfn);
    }
}
