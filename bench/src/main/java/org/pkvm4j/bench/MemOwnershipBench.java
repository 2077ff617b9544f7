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
import org.pkvm4j.machine.HostHcall;

/**
 * Host/hypervisor page transitions as the host and a vendor module issue them, average time per
 * operation, one thread, on a deprivileged {@code mem=4G} device ({@link MemDevice}).
 *
 * <ul>
 * <li>{@link #shareUnshare}: {@code __pkvm_host_share_hyp(pfn)} then {@code __pkvm_host_unshare_hyp(pfn)}
 *     of one page, each a static host hypercall through {@code HvcGateway.hostHcall} ({@code get_cpu},
 *     registers, {@code HVC}, {@code HypMain} and {@code HostHcallTable}, {@code MemProtect} under
 *     both component locks, errno check) and back. Target: under 1 µs for the pair.
 * <li>{@link #donateReclaim1GiB}: {@code host_donate_hyp(pfn, 262144)} then {@code
 *     hyp_donate_host(pfn, 262144)}: 1 GiB to EL2 and back, each through {@code pkvm_el2_mod_call}
 *     into the {@value MemFixtureModule#NAME} module's handler, which calls {@code ModuleOps}, as a
 *     vendor module must (the transitions are EL2-internal). Target: under 50 ms for the pair.
 * </ul>
 * Each result is checked (0, else the benchmark throws), so a refused transition cannot pass for a
 * fast one.
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class MemOwnershipBench {

    /** Share one page with EL2 and take it back: two host hypercalls. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long shareUnshare(MemDevice d) {
        return shareUnshare(d, MemDevice.SHARE_PFN);
    }

    /** Donate 1 GiB (262,144 pages) to EL2 and reclaim it: two module HVCs. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long donateReclaim1GiB(MemDevice d) {
        long donate = d.pkvm.el2ModCall(d.hvc, MemFixtureModule.OP_DONATE, MemDevice.RANGE_PFN, MemDevice.RANGE_PAGES);
        long reclaim = d.pkvm.el2ModCall(d.hvc, MemFixtureModule.OP_RECLAIM, MemDevice.RANGE_PFN, MemDevice.RANGE_PAGES);
        if ((donate | reclaim) != 0) {
            throw new IllegalStateException("donate/reclaim of 1 GiB returned %d, %d".formatted(donate, reclaim));
        }
        return donate;
    }

    /** {@code __pkvm_host_share_hyp} + {@code __pkvm_host_unshare_hyp} of {@code pfn}, checked. */
    static long shareUnshare(MemDevice d, long pfn) {
        // hostHcall throws PkvmException for a negative x1, so both calls are checked.
        long share = d.gateway.hostHcall(HostHcall.PKVM_HOST_SHARE_HYP, pfn, 0, 0);
        long unshare = d.gateway.hostHcall(HostHcall.PKVM_HOST_UNSHARE_HYP, pfn, 0, 0);
        return share + unshare;
    }
}
