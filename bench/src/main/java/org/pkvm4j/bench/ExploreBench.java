package org.pkvm4j.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
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
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.cli.explore.BootOutcome;
import org.pkvm4j.cli.explore.Exploration;
import org.pkvm4j.cli.explore.Explorer;

/**
 * {@code pkvm explore}'s speed on a 3-module device (issue 5: "at least 50 boots per second of a
 * 3-module device in one JVM").
 *
 * <p>The device: the bundled {@code pkvm_driver} (1 handler), {@code kvstore} (4) and {@code
 * percpu_counter} (3, the android14-5.15 handler ABI), every load-time check on, {@code nr_cpus=4
 * mem=1G}: 6 orders x 18 fault points = 108 boots.
 *
 * <ul>
 *   <li>{@link #boot}: one operation is one explore step: boot the next (fault, order) of the 108,
 *       then probe it as explore does ({@link BootOutcome#probe}: 128 HVCs and one protected VM).
 *       ops/s is boots per second, warm.</li>
 *   <li>{@link #bootDefaultLog4jSelector}: the same without {@code -Dlog4j2.contextSelector=...
 *       BasicContextSelector}, which {@code ./pkvm} and the tests pass: Log4j's default gives every
 *       class loader its own context, so each vendor EL1 layer parses {@code log4j2.xml} again
 *       at its first logger.</li>
 *   <li>{@link #coldExplore}: a whole exploration (all 108 boots) as the first thing a fresh JVM
 *       does, as {@code ./pkvm explore} runs it; boots per second is 108 / the time.</li>
 * </ul>
 */
@Threads(1)
@State(Scope.Benchmark)
public class ExploreBench {
    static final List<String> MODULES = List.of("pkvm_driver", "kvstore", "percpu_counter");
    static final String EXTRA = "nr_cpus=4 mem=1G";
    private static final String BASIC_SELECTOR =
            "-Dlog4j2.contextSelector=org.apache.logging.log4j.core.selector.BasicContextSelector";
    // Log4j's console off, as ./pkvm runs (PKVM4J_LOG unset): insecure boots log errors, and JMH's
    // pipe would time their printing, not the boots.
    private static final String QUIET = "-Dlog4j2.level=OFF";

    private Path initramfs;
    private Path hypervisor;
    private final List<BootConfig> boots = new ArrayList<>();
    private int next;

    /**
     * The 108 boot configurations of the exploration, in explore's order; Log4j configured from the
     * device image's {@code conf/log4j2.xml}, as {@code ./pkvm} configures it (every Log4j context
     * made later reads it: with the default selector, one per vendor layer).
     */
    @Setup(Level.Trial)
    public void setup() {
        initramfs = BundledDevice.initramfs();
        Path conf = initramfs.resolveSibling("conf").resolve("log4j2.xml");
        if (!java.nio.file.Files.isRegularFile(conf)) {
            throw new IllegalStateException(conf + " is missing: build the device image (./pkvm boot)");
        }
        System.setProperty("log4j2.configurationFile", conf.toString());
        hypervisor = BootConfig.of("", initramfs).hypervisor();
        List<List<String>> orders = List.of(
                List.of("pkvm_driver", "kvstore", "percpu_counter"), List.of("pkvm_driver", "percpu_counter", "kvstore"),
                List.of("kvstore", "pkvm_driver", "percpu_counter"), List.of("kvstore", "percpu_counter", "pkvm_driver"),
                List.of("percpu_counter", "pkvm_driver", "kvstore"), List.of("percpu_counter", "kvstore", "pkvm_driver"));
        int[] handlers = {1, 4, 3};
        List<FaultPlan> faults = new ArrayList<>(List.of(FaultPlan.none()));
        for (int i = 0; i < MODULES.size(); i++) {
            String m = MODULES.get(i);
            faults.add(FaultPlan.of(new BootFault.El1InitFails(m, Explorer.EL1_ERRNO)));
            faults.add(FaultPlan.of(new BootFault.El2InitFails(m, Explorer.EL2_ERRNO)));
            for (int n = 1; n <= handlers[i]; n++) {
                faults.add(FaultPlan.of(new BootFault.HcallRegistrationFails(m, n)));
            }
            faults.add(FaultPlan.of(new BootFault.LoadsLate(m)));
        }
        for (FaultPlan f : faults) {
            for (List<String> order : orders) {
                boots.add(new BootConfig("kvm-arm.mode=protected kvm-arm.protected_modules=" + String.join(",", order)
                        + " " + EXTRA, initramfs, hypervisor).withFaults(f));
            }
        }
        if (boots.size() != 108) {
            throw new IllegalStateException("expected 108 boots, built " + boots.size());
        }
    }

    private BootOutcome step() {
        BootConfig config = boots.get(next);
        next = (next + 1) % boots.size();
        BootOutcome o = BootOutcome.probe(HostKernel.boot(config));
        if (o.security().equals("panic") || o.strayHvcs() != 0) {
            throw new IllegalStateException("unexpected outcome for " + config.faults() + ": " + o);
        }
        return o;
    }

    /** One explore step, warm, with one Log4j context (as ./pkvm runs). */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Fork(value = 2, jvmArgsPrepend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch", QUIET, BASIC_SELECTOR})
    @Warmup(iterations = 5, time = 1)
    @Measurement(iterations = 5, time = 1)
    public BootOutcome boot() {
        return step();
    }

    /** The same with Log4j's default context selector: one context per vendor class loader. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Fork(value = 2, jvmArgsPrepend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch", QUIET})
    @Warmup(iterations = 5, time = 1)
    @Measurement(iterations = 5, time = 1)
    public BootOutcome bootDefaultLog4jSelector() {
        return step();
    }

    /** A whole 108-boot exploration as the first work of a fresh JVM. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Fork(value = 6, jvmArgsPrepend = {QUIET, BASIC_SELECTOR})
    @Warmup(iterations = 0)
    @Measurement(iterations = 1)
    public Exploration coldExplore() {
        Exploration e = new Explorer(initramfs, hypervisor, MODULES, EXTRA, EnumSet.allOf(BootFault.Kind.class), 5000)
                .exhaustive(true).jobs(1).run((done, total) -> { });
        if (e.runs().size() != 108 || !e.errors().isEmpty()) {
            throw new IllegalStateException("expected 108 boots without error, got " + e.runs().size() + ", errors "
                    + e.errors());
        }
        return e;
    }
}
