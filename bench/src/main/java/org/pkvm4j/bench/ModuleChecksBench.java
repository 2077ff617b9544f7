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
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.loader.ApprovedClasses;
import org.pkvm4j.host.loader.ModuleChecks;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;

/**
 * The load-time checks of a bundled module against defining its layers, in the same run (issue 4:
 * "checking costs less than the layer definition itself"). Average time per operation, one thread,
 * for each of the bundled module files with an EL2 part:
 *
 * <ul>
 *   <li>{@code el2Verify}: the EL2 code verifier on the module's EL2 jar ({@code
 *       El2Verifier.bundled().verify}), what the loader runs unless {@code pkvm.el2_verify=0};</li>
 *   <li>{@code abiCheck}: the modversions and link check of both jars against the running API
 *       ({@code SymbolCheck.check}), what the loader runs unless {@code pkvm.modversions=0}. The
 *       running API is read once, as the loader reads it once per boot;</li>
 *   <li>{@code defineEl2Layer}, {@code defineEl1Layer}: what {@code VendorLayers} did to define
 *       each layer: an in-memory module reference and finder, {@code Configuration.resolve} on the
 *       configuration of the layer that holds {@code org.pkvm4j.api}, and {@code
 *       ModuleLayer.defineModulesWithOneLoader} (EL2: no parent loader; EL1: the platform loader);
 *       since docs/adr/0008 it resolves the same and defines with its own loader per layer.
 *       The descriptors are read once in setup, as the loader reads them before its checks. A
 *       layer defines no class: classes are loaded later, when the module runs;</li>
 * </ul>
 *
 * The module files are the ones the device boots ({@link BundledDevice#initramfs()}), read once.
 *
 * <p>The forks also get a fixed, pre-touched heap ({@code -Xms2g -Xmx2g -XX:+AlwaysPreTouch}).
 * Defining layers thousands of times a second is nothing a boot does: each layer has its own
 * class loader, which the JVM keeps until a concurrent cycle unloads it, so young collections copy
 * the dead layers and G1 keeps growing the heap. With the default heap, every iteration that runs
 * in freshly grown heap pays the page faults of first touch, and {@code define*} came out
 * bimodal, 36 to 500 us per op, about 50 us once the heap is pre-touched. Pre-touching removes
 * the page faults; the copying of dead layers stays in the define figures ({@code -prof
 * gc} shows it as {@code gc.time}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsPrepend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class ModuleChecksBench {

    /** The EL2 code verifier on the EL2 jar. */
    @Benchmark
    public List<Violation> el2Verify(Subject s) {
        return El2Verifier.bundled().verify(s.m.el2);
    }

    /** The ABI check (modversions record, then every API reference linked) of both jars. */
    @Benchmark
    public SymbolCheck.Outcome abiCheck(Subject s) {
        return SymbolCheck.check(s.m.name, s.m.jars, s.m.api);
    }

    /**
     * The approval of every class file of both jars ({@code ApprovedClasses.approve}): each entry's
     * path, binary name and {@code this_class} agree, every class file fully parsed, digests kept
     * (docs/adr/0008).
     */
    @Benchmark
    public int approveClasses(Subject s) {
        return ApprovedClasses.approve(s.m.name, s.m.el1, s.m.el1Descriptor).binaryNames().size()
                + ApprovedClasses.approve(s.m.name, s.m.el2, s.m.el2Descriptor).binaryNames().size();
    }

    /**
     * The whole pipeline {@code modprobe} runs, uncached ({@code ModuleChecks.check}): entries and
     * names, descriptors and symbols, the ABI against the running API, the EL2 code rules.
     */
    @Benchmark
    public org.pkvm4j.host.loader.CheckedModule checkPipeline(Subject s) {
        return ModuleChecks.check(s.m.file, new ModuleChecks.Options(java.util.Optional.of(List.of()), () -> s.m.api,
                El2Verifier.bundled(), false));
    }

    /** The EL2 layer, as the loader defines it: no parent loader. */
    @Benchmark
    public ModuleLayer defineEl2Layer(Subject s) {
        return s.m.defineEl2();
    }

    /** The EL1 layer, as the loader defines it: the platform loader as parent. */
    @Benchmark
    public ModuleLayer defineEl1Layer(Subject s) {
        return s.m.defineEl1();
    }

    /** One module file, read once, with what the loader has in hand when it checks and defines. */
    @State(Scope.Benchmark)
    public static class Subject {
        /** The module file measured: {@code <initramfs>/<module>.jar}. */
        @Param({"kvstore", "percpu_counter", "pkvm_driver"})
        public String module;

        BenchModule m;

        /** Reads the module file and the running API, and checks that every operation succeeds once. */
        @Setup(Level.Trial)
        public void setup() {
            m = BenchModule.read(module, true);
            List<Violation> violations = El2Verifier.bundled().verify(m.el2);
            if (!violations.isEmpty()) {
                throw new IllegalStateException(module + ": the EL2 verifier refuses the bundled module: " + violations);
            }
            SymbolCheck.Outcome outcome = SymbolCheck.check(m.name, m.jars, m.api);
            if (outcome != SymbolCheck.Outcome.VERSIONS_MATCH) {
                throw new IllegalStateException(module + ": expected a modversions record that matches, got " + outcome);
            }
            checkDefined(m.defineEl2(), m.el2Descriptor.name());
            checkDefined(m.defineEl1(), m.el1Descriptor.name());
        }

        private void checkDefined(ModuleLayer layer, String jpmsModule) {
            if (layer.findModule(jpmsModule).isEmpty()) {
                throw new IllegalStateException(module + ": the defined layer has no module " + jpmsModule);
            }
        }
    }
}
