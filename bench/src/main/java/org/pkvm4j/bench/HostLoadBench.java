package org.pkvm4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
import org.pkvm4j.machine.Dram;

/**
 * A host load checked against the host stage-2 versus the same load with no check, in one run.
 *
 * <p>{@link #checked}: {@code HostMemory.load64(pa)} on the deprivileged device, the path every host
 * access takes: range and alignment, the 2 MiB chunk, the page's metadata word, the stage-2 test,
 * then the load from the chunk's {@link MemorySegment}. {@link #unchecked}: the bare load the
 * checked path ends in: {@code MemorySegment.get} with the same layout (8 bytes, little-endian,
 * aligned) at the same offset of a 2 MiB segment allocated as DRAM's chunks are ({@code
 * Arena.ofAuto()}, page-aligned). The benchmark code cannot reach DRAM's own segment (the machine
 * hands it out to nobody), so the floor is a segment of the same shape. Target: checked within 2x.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class HostLoadBench {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The address and its unchecked twin; fields, so the JIT cannot fold them. */
    @State(Scope.Thread)
    public static class Target {
        /** The PA the checked load reads. */
        public long pa = MemDevice.LOAD_PA & -8;
        /** The same offset inside a 2 MiB chunk. */
        public long offset = (MemDevice.LOAD_PA & -8) - Dram.BASE & (Dram.CHUNK_SIZE - 1);
        /** A segment shaped like one DRAM chunk. */
        public MemorySegment segment;

        /** Allocates the twin segment and stores the value the device's page holds. */
        @Setup(Level.Trial)
        public void setup(MemDevice d) {
            segment = Arena.ofAuto().allocate(Dram.CHUNK_SIZE, 4096);
            segment.set(LONG, offset, d.hostMemory.load64(pa));
            MemDevice.expect(d.hostMemory.load64(pa), segment.get(LONG, offset), "unchecked twin load");
        }
    }

    /** {@code HostMemory.load64}: through the host stage-2. */
    @Benchmark
    public long checked(MemDevice d, Target t) {
        return d.hostMemory.load64(t.pa);
    }

    /** {@code MemorySegment.get}: no stage-2, no chunk lookup. */
    @Benchmark
    public long unchecked(Target t) {
        return t.segment.get(LONG, t.offset);
    }
}
