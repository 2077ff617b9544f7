package org.pkvm4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The benchmark jar's main class: JMH's command line, with every forked JVM put on pkvm4j's
 * module path.
 *
 * <p>pkvm4j runs only as named modules (vendor layers are children of the layer that holds {@code
 * org.pkvm4j.api}), so each JVM JMH forks gets, after any {@code -jvmArgsAppend} of the command
 * line:
 *
 * <pre>
 *   --module-path &lt;home&gt;/lib --add-modules ALL-MODULE-PATH
 *   --add-exports org.pkvm4j.host/org.pkvm4j.host.abi=ALL-UNNAMED (and .verify)
 *   --illegal-native-access=deny --sun-misc-unsafe-memory-access=allow
 *   -Dpkvm4j.hypervisor=&lt;home&gt;/hyp/pkvm4j-hypervisor.jar -Dpkvm4j.bench.initramfs=&lt;temp dir&gt;
 * </pre>
 *
 * where {@code <home>} is the directory holding this jar ({@code bench/target}) and the initramfs
 * is written here once, for all forks, and deleted at the end. Unlike {@code ./pkvm boot}, sun.misc.Unsafe
 * memory access is allowed rather than denied: JMH 1.37 calls {@code Unsafe.objectFieldOffset} in
 * the static initialisers of its own infrastructure ({@code Blackhole}, {@code BenchmarkParams},
 * ...) and a fork with {@code deny} dies before the first iteration; pkvm4j never calls it. The benchmark classes and JMH stay
 * on the class path, in the unnamed module, which reads every boot-layer module. This JVM itself
 * is not on the module path, so {@code -f 0} (no fork) is refused.
 *
 * <p>After the run it prints a summary: median and mean of every benchmark, allocation per
 * operation when run with {@code -prof gc}, trap/direct ratios and two- over one-thread scaling.
 */
public final class BenchMain {
    private static final String HOST_MODULE = "org.pkvm4j.host";

    private BenchMain() {
    }

    /** Runs JMH with {@code args}. */
    public static void main(String[] args) throws IOException, URISyntaxException {
        CommandLineOptions cmd;
        try {
            cmd = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line:");
            System.err.println(" " + e.getMessage());
            System.exit(1);
            return;
        }
        if (cmd.shouldHelp()) {
            cmd.showHelp();
            System.out.println();
            System.out.println("pkvm4j: every fork gets pkvm4j's module path from " + home() + "/lib; -f 0 is not supported.");
            return;
        }
        if (cmd.shouldListProfilers()) {
            cmd.listProfilers();
            return;
        }
        if (cmd.shouldListResultFormats()) {
            cmd.listResultFormats();
            return;
        }
        if (cmd.shouldList()) {
            new Runner(cmd).list();
            return;
        }
        if (cmd.shouldListWithParams()) {
            new Runner(cmd).listWithParams(cmd);
            return;
        }
        if (cmd.getForkCount().orElse(1) == 0 && ModuleLayer.boot().findModule(HOST_MODULE).isEmpty()) {
            System.err.println("pkvm4j: -f 0 would run the benchmarks in this JVM, which is not on pkvm4j's module path;"
                    + " use -f 1 or more");
            System.exit(1);
            return;
        }

        Path home = home();
        Path lib = home.resolve("lib");
        Path hypervisor = home.resolve("hyp").resolve("pkvm4j-hypervisor.jar");
        Path apiJar = lib.resolve("pkvm4j-module-api.jar");
        for (Path required : List.of(lib.resolve("pkvm4j-host-kernel.jar"), apiJar, hypervisor)) {
            if (!Files.isRegularFile(required)) {
                System.err.println("pkvm4j: " + required + " is missing; build with ./mvnw -Dmaven.test.skip=true package -pl bench -am"
                        + " (or run ./pkvm bench)");
                System.exit(1);
                return;
            }
        }
        Path initramfs = Files.createTempDirectory("pkvm4j-bench-initramfs");
        // Also on Ctrl-C and System.exit, which skip finally blocks.
        Thread cleanup = new Thread(() -> FixtureModules.deleteTree(initramfs), "pkvm4j-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        FixtureModules.write(initramfs, apiJar, Device.MODULES);
        MemFixtureModule.write(initramfs, apiJar);
        List<String> jvmArgs = new ArrayList<>(cmd.getJvmArgsAppend().orElse(List.of()));
        jvmArgs.addAll(List.of(
                "--module-path", lib.toString(),
                "--add-modules", "ALL-MODULE-PATH",
                // The check benchmarks time the modversions check and the EL2 verifier themselves; the
                // kernel exports both to the author tools and the CLI only (docs/adr/0012-house-split.md).
                "--add-exports", "org.pkvm4j.host/org.pkvm4j.host.abi=ALL-UNNAMED",
                "--add-exports", "org.pkvm4j.host/org.pkvm4j.host.verify=ALL-UNNAMED",
                "--illegal-native-access=deny",
                // Not deny, unlike ./pkvm boot: JMH 1.37 itself calls sun.misc.Unsafe::objectFieldOffset
                // (its padding checks in Blackhole, BenchmarkParams, ...); pkvm4j does not use it.
                "--sun-misc-unsafe-memory-access=allow",
                "-Dpkvm4j.hypervisor=" + hypervisor,
                "-D" + Device.INITRAMFS_PROPERTY + "=" + initramfs));
        // For -f 0 in a JVM that was started on the module path.
        System.setProperty("pkvm4j.hypervisor", hypervisor.toString());
        System.setProperty(Device.INITRAMFS_PROPERTY, initramfs.toString());
        Options options = new OptionsBuilder()
                .parent(cmd)
                .jvmArgsAppend(jvmArgs.toArray(String[]::new))
                .build();
        Collection<RunResult> results;
        try {
            results = new Runner(options).run();
        } catch (RunnerException e) {
            System.err.println("pkvm4j: the benchmark run failed: " + e.getMessage());
            e.printStackTrace(System.err);
            System.exit(1);
            return;
        }
        printSummary(results, System.out);
    }

    /** The directory holding this jar (or, run from an IDE, holding target/classes: target). */
    static Path home() throws URISyntaxException {
        return Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toAbsolutePath().getParent();
    }

    /** One measured benchmark: its short name, threads, and figures. */
    record Row(String name, int threads, String mode, double median, double mean, double error, String unit,
            double min, double max, long samples, Optional<Double> allocPerOp) {
    }

    /** Prints the medians, allocation, trap/direct ratios and thread scaling of a run. */
    static void printSummary(Collection<RunResult> results, PrintStream out) {
        Map<String, Row> rows = new TreeMap<>();
        for (RunResult r : results) {
            Result<?> primary = r.getPrimaryResult();
            String benchmark = r.getParams().getBenchmark();
            String name = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            var stats = primary.getStatistics();
            rows.put(name, new Row(name, r.getParams().getThreads(), r.getParams().getMode().shortLabel(),
                    stats.getPercentile(50), primary.getScore(), primary.getScoreError(), primary.getScoreUnit(),
                    stats.getMin(), stats.getMax(), stats.getN(),
                    alloc == null ? Optional.empty() : Optional.of(alloc.getScore())));
        }
        if (rows.isEmpty()) {
            return;
        }
        out.println();
        out.println("pkvm4j summary (median and mean over all measurement iterations of all forks; error: 99.9% CI)");
        out.println();
        out.println("| Benchmark | Threads | Mode | Median | Mean ± error | Min .. max | Unit | n | B/op |");
        out.println("|---|---:|---|---:|---:|---:|---|---:|---:|");
        for (Row row : rows.values()) {
            out.println("| %s | %d | %s | %s | %s ± %s | %s .. %s | %s | %d | %s |".formatted(row.name(), row.threads(),
                    row.mode(), num(row.median()), num(row.mean()), num(row.error()), num(row.min()), num(row.max()),
                    row.unit(), row.samples(), row.allocPerOp().map(BenchMain::num).orElse("-")));
        }
        List<String> ratios = new ArrayList<>();
        for (String shape : List.of("oneHandler", "eightHandlers")) {
            Row direct = rows.get("ModCallBench." + shape + "_direct");
            for (String variant : List.of("_trap", "_trapPinned")) {
                Row trap = rows.get("ModCallBench." + shape + variant);
                if (trap != null && direct != null) {
                    double ratio = trap.median() / direct.median();
                    ratios.add("| %s | %s | %s | %.2fx | %.2fx | %s |".formatted(shape + variant, num(trap.median()),
                            num(direct.median()), ratio, trap.mean() / direct.mean(),
                            ratio <= 5 ? "within 5x" : "MISSES 5x"));
                }
            }
        }
        if (!ratios.isEmpty()) {
            out.println();
            out.println("| Shape | Trap median ns/op | Direct median ns/op | Ratio (medians) | Ratio (means) | Target |");
            out.println("|---|---:|---:|---:|---:|---|");
            ratios.forEach(out::println);
        }
        List<String> scaling = new ArrayList<>();
        for (String base : List.of("oneHandler_trap", "eightHandlers_trap", "oneHandler_direct")) {
            Row one = rows.get("ModCallThroughput." + base + "_1t");
            Row two = rows.get("ModCallThroughput." + base + "_2t");
            if (one != null && two != null) {
                scaling.add("| %s | %s | %s | %.2fx |".formatted(base, num(one.median()), num(two.median()),
                        two.median() / one.median()));
            }
        }
        Row one = rows.get("MemScalingBench.shareUnshare_1t");
        Row two = rows.get("MemScalingBench.shareUnshare_2t");
        if (one != null && two != null) {
            scaling.add("| shareUnshare (memory) | %s | %s | %.2fx |".formatted(num(one.median()), num(two.median()),
                    two.median() / one.median()));
        }
        if (!scaling.isEmpty()) {
            out.println();
            out.println("| Throughput | 1 thread median ops/us | 2 threads median ops/us | 2t / 1t |");
            out.println("|---|---:|---:|---:|");
            scaling.forEach(out::println);
        }
        printMemoryTargets(rows, out);
    }

    /** The memory benchmarks' targets (issue 3), from the medians of this run. */
    private static void printMemoryTargets(Map<String, Row> rows, PrintStream out) {
        List<String> lines = new ArrayList<>();
        Row share = rows.get("MemOwnershipBench.shareUnshare");
        if (share != null) {
            lines.add("| share+unshare of one page, HVC path | %s %s | < 1 us | %s |".formatted(num(share.median()),
                    share.unit(), toNanos(share) < 1000 ? "met" : "MISSED"));
        }
        Row donate = rows.get("MemOwnershipBench.donateReclaim1GiB");
        if (donate != null) {
            lines.add("| donate+reclaim of 1 GiB | %s %s | < 50 ms | %s |".formatted(num(donate.median()), donate.unit(),
                    toNanos(donate) < 50e6 ? "met" : "MISSED"));
        }
        Row checked = rows.get("HostLoadBench.checked");
        Row unchecked = rows.get("HostLoadBench.unchecked");
        if (checked != null && unchecked != null) {
            double ratio = checked.median() / unchecked.median();
            lines.add("| checked / unchecked host load | %s / %s %s = %.2fx | <= 2x | %s |".formatted(num(checked.median()),
                    num(unchecked.median()), checked.unit(), ratio, ratio <= 2 ? "met" : "MISSED"));
        }
        if (!lines.isEmpty()) {
            out.println();
            out.println("| Memory target | Median | Target | |");
            out.println("|---|---:|---|---|");
            lines.forEach(out::println);
        }
    }

    private static double toNanos(Row row) {
        String unit = row.unit();
        double scale = unit.startsWith("ms") ? 1e6 : unit.startsWith("us") ? 1e3 : unit.startsWith("s/") ? 1e9 : 1;
        return row.median() * scale;
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : a >= 0.01 || a == 0 ? "%.3f" : "%.2e", v);
    }
}
