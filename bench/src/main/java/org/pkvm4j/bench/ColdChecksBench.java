package org.pkvm4j.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.RunningApi;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;

/**
 * {@link ModuleChecksBench}'s operations the first time a fresh JVM runs them, as at boot: one
 * shot per fork, many forks. Where {@link BootBench#coldBoot} says how much the checks add to a
 * cold boot, this says which part of them costs what when nothing is loaded or compiled yet.
 *
 * <p>Setup reads the module file and its descriptors (the loader does so before its checks) but
 * runs none of the measured code; {@code abiCheck} gets the running API read in its setup, and
 * {@code runningApiRead} measures that read alone. Every fork starts with nothing of the verifier,
 * the ABI check or layer definition run in it, so each operation pays the loading and
 * interpretation of its own code, and of the Class-File API for the checks. In a boot with the
 * checks off, the EL2 symbol table scan pays the Class-File API's first use instead.
 * The module defaults to pkvm_driver, the first module the bundled device loads.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(20)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Threads(1)
public class ColdChecksBench {

    /** The EL2 code verifier, first run. */
    @Benchmark
    public List<Violation> el2Verify(Subject s) {
        return El2Verifier.bundled().verify(s.m.el2);
    }

    /** The ABI check with the running API already read, first run. */
    @Benchmark
    public SymbolCheck.Outcome abiCheck(WithApi s) {
        return SymbolCheck.check(s.m.name, s.m.jars, s.m.api);
    }

    /** Reading the running API, first run. */
    @Benchmark
    public AbiModel runningApiRead() {
        return RunningApi.read();
    }

    /** The EL2 layer, first vendor layer of the JVM. */
    @Benchmark
    public ModuleLayer defineEl2Layer(Subject s) {
        return s.m.defineEl2();
    }

    /** The EL1 layer, first vendor layer of the JVM. */
    @Benchmark
    public ModuleLayer defineEl1Layer(Subject s) {
        return s.m.defineEl1();
    }

    /** The module file and descriptors, read in setup; nothing measured runs here. */
    @State(Scope.Benchmark)
    public static class Subject {
        /** The module file measured. */
        @Param({"pkvm_driver"})
        public String module;

        BenchModule m;

        /** Reads the module file, without the running API. */
        @Setup(Level.Trial)
        public void setup() {
            m = BenchModule.read(module, false);
        }
    }

    /** {@link Subject} plus the running API, read in setup. */
    @State(Scope.Benchmark)
    public static class WithApi {
        /** The module file measured. */
        @Param({"pkvm_driver"})
        public String module;

        BenchModule m;

        /** Reads the module file and the running API. */
        @Setup(Level.Trial)
        public void setup() {
            m = BenchModule.read(module, true);
        }
    }
}
