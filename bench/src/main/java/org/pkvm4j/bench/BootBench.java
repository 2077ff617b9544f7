package org.pkvm4j.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * The bundled device's boot with every load-time check on against both off (issue 4: "the
 * bundled device's boot time grows by less than 30% with every check on").
 *
 * <p>One operation is {@code HostKernel.boot} of {@code kvm-arm.mode=protected
 * kvm-arm.protected_modules=pkvm_driver,kvstore nr_cpus=4} from the bundled initramfs: parse the
 * command line, build the machine and install the hypervisor (its own layer), mount the initramfs,
 * load both modules (read, descriptor checks, the checks measured here, both layers, the EL1 init,
 * which loads the EL2 part and registers its handlers), and deprivilege every CPU. {@code
 * checks=off} appends {@code pkvm.el2_verify=0 pkvm.modversions=0}.
 *
 * <ul>
 *   <li>{@link #coldBoot}: the first boot in a fresh JVM, as a device boots once: one shot per
 *       fork, many forks;</li>
 *   <li>{@link #warmBoot}: average time per boot in a JVM that has booted the device many times
 *       (JIT-compiled), which isolates the checks' own work from class loading and
 *       interpretation. Its forks get a fixed, pre-touched heap ({@code -Xms2g -Xmx2g
 *       -XX:+AlwaysPreTouch}), as {@link ModuleChecksBench}'s do: dozens of boots a second leave
 *       class loaders the JVM unloads only now and then, the heap grows, and first touches of new
 *       heap would otherwise decide which iterations are slow.</li>
 * </ul>
 *
 * Every boot is checked (protected, deprivileged, both modules loaded, the switches seen in
 * dmesg exactly when {@code checks=off}). {@link Steps} reports, per boot, the time of boot step 4
 * (load the protected modules) and of the two module loads, as JMH secondary results.
 */
@Threads(1)
@State(Scope.Benchmark)
public class BootBench {
    /** {@code on}: the default command line; {@code off}: both checks switched off. */
    @Param({"on", "off"})
    public String checks;

    private BootConfig config;
    private HostKernel last;

    /** The boot configuration (no pkvm4j code beyond the record runs here). */
    @Setup(Level.Trial)
    public void setup() {
        if (!checks.equals("on") && !checks.equals("off")) {
            throw new IllegalArgumentException("checks must be on or off, was " + checks);
        }
        config = BundledDevice.bootConfig(checks.equals("on"));
    }

    /** The first boot in a fresh JVM: one shot per fork. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Fork(30)
    @Warmup(iterations = 0)
    @Measurement(iterations = 1)
    public HostKernel coldBoot(Steps steps) {
        HostKernel kernel = HostKernel.boot(config);
        last = kernel;
        steps.add(kernel);
        return kernel;
    }

    /** Average time per boot, after warm-up. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Fork(value = 3, jvmArgsPrepend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
    @Warmup(iterations = 5, time = 1)
    @Measurement(iterations = 6, time = 1)
    public HostKernel warmBoot(Steps steps) {
        HostKernel kernel = HostKernel.boot(config);
        last = kernel;
        steps.add(kernel);
        return kernel;
    }

    /** Checks the last boot of the iteration: a wrong boot is no measurement. */
    @TearDown(Level.Iteration)
    public void checkLastBoot() {
        if (last == null) {
            return;
        }
        HostKernel kernel = last;
        last = null;
        String dmesg = String.join("\n", kernel.log().lines());
        // With the checks off the device is tainted (docs/adr/0008): loaded and deprivileged, not protected.
        boolean expected = checks.equals("on") ? kernel.securityState() instanceof SecurityState.Protected
                : kernel.securityState() instanceof SecurityState.Tainted;
        if (!expected || !kernel.isDeprivileged() || kernel.panic().isPresent()) {
            throw new IllegalStateException("the bundled device did not boot " + (checks.equals("on") ? "protected" : "tainted")
                    + " and deprivileged: "
                    + kernel.securityState().describe() + "\n" + dmesg);
        }
        List<String> loaded = kernel.lsmod().stream().map(LoadedModule::name).toList();
        if (!loaded.equals(BundledDevice.BOOT_MODULES)) {
            throw new IllegalStateException("expected " + BundledDevice.BOOT_MODULES + " loaded, got " + loaded + "\n"
                    + dmesg);
        }
        boolean switchedOff = dmesg.contains("pkvm.el2_verify=0: ") && dmesg.contains("pkvm.modversions=0: ");
        if (switchedOff != checks.equals("off")) {
            throw new IllegalStateException("checks=" + checks + " but dmesg " + (switchedOff ? "says" : "does not say")
                    + " the checks are off:\n" + dmesg);
        }
    }

    /**
     * Per-boot secondary results, in milliseconds per boot: boot step 4 (loading both protected
     * modules) and each module's own load time ({@code LoadedModule.loadNanos}).
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Steps {
        /** Boot step 4, load the protected modules, ms summed over the iteration's boots. */
        public double step4LoadModulesMs;
        /** Boot step 2, machine and hypervisor. */
        public double step2HypervisorMs;
        /** pkvm_driver's load. */
        public double loadPkvmDriverMs;
        /** kvstore's load. */
        public double loadKvstoreMs;
        /** Boots in the iteration. */
        public long boots;

        /** Clears the sums. */
        @Setup(Level.Iteration)
        public void clear() {
            step4LoadModulesMs = 0;
            step2HypervisorMs = 0;
            loadPkvmDriverMs = 0;
            loadKvstoreMs = 0;
            boots = 0;
        }

        void add(HostKernel kernel) {
            BootReport report = kernel.bootReport();
            for (BootReport.Step step : report.steps()) {
                if (step.number() == 4) {
                    step4LoadModulesMs += step.nanos() / 1e6;
                } else if (step.number() == 2) {
                    step2HypervisorMs += step.nanos() / 1e6;
                }
            }
            for (LoadedModule m : report.modules()) {
                switch (m.name()) {
                    case "pkvm_driver" -> loadPkvmDriverMs += m.loadNanos() / 1e6;
                    case "kvstore" -> loadKvstoreMs += m.loadNanos() / 1e6;
                    default -> {
                    }
                }
            }
            boots++;
        }
    }
}
