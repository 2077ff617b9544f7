package org.pkvm4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Admission side by side (issue 12, item 1): pkvm4j's boot of N generated modules, every check on,
 * against PF4J 3.15.0 loading, starting and calling N trivial plugins, one raw {@link
 * ModuleLayer} per plugin, and two raw layers per plugin (pkvm4j's EL1 and EL2 shape without its
 * checks: the architecture's own floor), each in a fresh JVM ({@link AdmissionChild}), interleaved:
 * for every round and every N the systems run back to back, in an order that rotates, so that load
 * from other jobs on a shared machine falls on all alike. Prints the medians and the ratios,
 * and with {@code --write FILE} puts the table between the markers {@value #BEGIN} and {@value #END}
 * of that file (docs/benchmarks.md).
 *
 * <pre>
 *   java -cp bench/target/pkvm4j-benchmarks.jar org.pkvm4j.bench.AdmissionHarness \
 *       [--n 16,64,128] [--rounds 5] [--write docs/benchmarks.md] [--pkvm-jvm-args "ARGS"]
 * </pre>
 * ({@code ./pkvm bench admission [OPTIONS]} runs exactly that.) {@code --pkvm-jvm-args} adds JVM
 * options to the pkvm4j children only, for experiments such as an AOT cache or a JFR recording;
 * {@code --keep DIR} writes the modules and plugins there and keeps them (to run a child by hand);
 * {@code --baseline DIR} adds a fourth system, the pkvm4j child of another build's {@code
 * bench/target} (for example the commit before a change, or this one: then it shows what {@code
 * --pkvm-jvm-args} changes), interleaved with the rest, without {@code --pkvm-jvm-args}.
 *
 * <p>Every system runs as its users get it: pkvm4j with the flags {@code ./pkvm} gives the kernel
 * (Log4j off, the JDK's AOT cache). So that the comparison is fair, each system, the baseline too,
 * first trains its own JDK AOT cache (JEP 483, 514, 515) in one run of the largest N, and every
 * child of that system starts from it; {@code --no-aot} runs every child without a cache.
 */
public final class AdmissionHarness {
    static final String BEGIN = "<!-- admission-table:begin -->";
    static final String END = "<!-- admission-table:end -->";
    private static final String BASELINE = "pkvm4j-baseline";
    /**
     * What {@code ./pkvm} runs the kernel with besides its paths and its AOT cache: Log4j off, through
     * the Log4j API's own provider, and the host's loggers never started (ADR 0018).
     */
    private static final List<String> PKVM_FLAGS = List.of(
            "-Dlog4j.provider=org.apache.logging.log4j.simple.internal.SimpleProvider",
            "-Dorg.apache.logging.log4j.simplelog.level=OFF", "-Dpkvm4j.log.level=off");

    private AdmissionHarness() {
    }

    /** See the class comment. */
    public static void main(String[] args) throws Exception {
        int[] ns = {16, 64, 128};
        int rounds = 5;
        Path write = null;
        List<String> pkvmJvmArgs = List.of();
        Path keep = null;
        Path baseline = null;
        boolean aot = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--n" -> ns = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--write" -> write = Path.of(args[++i]);
                case "--keep" -> keep = Path.of(args[++i]);
                case "--baseline" -> baseline = Path.of(args[++i]);
                case "--aot" -> aot = true;
                case "--no-aot" -> aot = false;
                case "--pkvm-jvm-args" -> pkvmJvmArgs = Arrays.stream(args[++i].trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
                default -> {
                    System.err.println("usage: AdmissionHarness [--n 16,64,128] [--rounds 5] [--write FILE] [--pkvm-jvm-args ARGS] [--keep DIR] [--baseline BENCH_TARGET] [--no-aot]");
                    System.exit(2);
                }
            }
        }
        Path home = BenchMain.home();
        Path lib = home.resolve("lib");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        int max = Arrays.stream(ns).max().orElseThrow();

        Path work = keep != null ? Files.createDirectories(keep) : Files.createTempDirectory("pkvm4j-admission");
        if (keep == null) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> FixtureModules.deleteTree(work), "pkvm4j-admission-cleanup"));
        }
        System.err.println("admission: writing " + max + " modules, PF4J plugins and raw-layer jars into " + work);
        FixtureModules.write(work.resolve("all-pkvm4j"), lib.resolve("pkvm4j-module-api.jar"), max);
        PeerPlugins.writePf4j(work.resolve("all-pf4j"), max);
        PeerPlugins.writeRaw(work.resolve("all-raw"), max);
        PeerPlugins.writeTwoLayers(work.resolve("all-raw2"), max);
        for (int n : ns) {
            subset(work.resolve("all-pkvm4j"), work.resolve("pkvm4j-" + n), n, i -> FixtureModules.moduleName(i) + ".jar");
            subset(work.resolve("all-pf4j"), work.resolve("pf4j-" + n), n, i -> PeerPlugins.pluginId(i) + ".jar");
            subset(work.resolve("all-raw"), work.resolve("raw-" + n), n, i -> "r" + i + ".jar");
            subset(work.resolve("all-raw2"), work.resolve("raw2-" + n), n, i -> PeerPlugins.twoLayerJars(i).get(0));
            subset(work.resolve("all-raw2"), work.resolve("raw2-" + n), n, i -> PeerPlugins.twoLayerJars(i).get(1));
        }

        List<String> systems = new ArrayList<>(List.of("pkvm4j", "pf4j", "raw", "raw2"));
        if (baseline != null) {
            systems.add(BASELINE);
        }
        Map<String, List<String>> aotFlags = new LinkedHashMap<>();
        for (String system : systems) {
            List<String> flags = List.of();
            if (aot) {
                // JEP 483/514/515: one training run of the largest N writes this system's cache.
                Path cache = work.resolve(system + ".aot");
                List<String> train = new ArrayList<>(List.of(java.toString(), "-XX:AOTCacheOutput=" + cache, "-Xlog:aot=off",
                        "-Xlog:cds=off"));
                train.addAll(child(system, max, home, baseline, pkvmJvmArgs, work));
                System.err.println("admission: training the AOT cache of " + system);
                run(train);
                flags = List.of("-XX:AOTCache=" + cache, "-Xlog:aot=off", "-Xlog:cds=off");
            }
            aotFlags.put(system, flags);
        }
        String loadBefore = loadAverage();
        Instant started = Instant.now();
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < ns.length; k++) {
                int n = ns[k];
                for (int s = 0; s < systems.size(); s++) {
                    String system = systems.get((round + k + s) % systems.size());
                    List<String> cmd = new ArrayList<>(List.of(java.toString()));
                    cmd.addAll(aotFlags.get(system));
                    cmd.addAll(child(system, n, home, baseline, pkvmJvmArgs, work));
                    double[] r = run(cmd);
                    results.computeIfAbsent(system + " " + n, x -> new ArrayList<>()).add(r);
                    System.err.printf(Locale.ROOT, "admission: round %d N=%d %s %.1f ms%n", round + 1, n, system, r[0]);
                }
            }
        }
        String table = table(ns, rounds, results, started, loadBefore, loadAverage(), baseline != null)
                + (aot ? "\nEvery child started from its own system's JDK AOT cache, trained by one admission of N = " + max
                        + " (pkvm4j as ./pkvm starts it).\n" : "\nNo AOT cache (--no-aot).\n");
        System.out.println(table);
        if (write != null) {
            writeInto(write, table);
            System.err.println("admission: table written into " + write);
        }
    }

    /** A child's JVM arguments after {@code java} and its AOT flags: the system's own, then the child's. */
    private static List<String> child(String system, int n, Path home, Path baseline, List<String> pkvmJvmArgs, Path work) {
        boolean pkvm = system.startsWith("pkvm4j");
        // The baseline: the same child from another build's bench/target (its lib, hypervisor, jar).
        Path target = system.equals(BASELINE) ? baseline : home;
        List<String> cmd = new ArrayList<>();
        if (system.equals("pkvm4j")) {
            cmd.addAll(pkvmJvmArgs);
        }
        if (pkvm) {
            cmd.addAll(PKVM_FLAGS);
            cmd.addAll(List.of("--module-path", target.resolve("lib").toString(), "--add-modules", "org.pkvm4j.host",
                    "--illegal-native-access=deny", "--sun-misc-unsafe-memory-access=deny",
                    "-D" + org.pkvm4j.host.BootConfig.HYPERVISOR_PROPERTY + "=" + target.resolve("hyp").resolve("pkvm4j-hypervisor.jar")));
        }
        cmd.addAll(List.of("-cp", target.resolve("pkvm4j-benchmarks.jar").toString(), AdmissionChild.class.getName(),
                pkvm ? "pkvm4j" : system, Integer.toString(n), work.resolve((pkvm ? "pkvm4j" : system) + "-" + n).toString()));
        return cmd;
    }

    private static void subset(Path all, Path dir, int n, IntFunction<String> file) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < n; i++) {
            Files.copy(all.resolve(file.apply(i)), dir.resolve(file.apply(i)), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static double[] run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        String line = out.lines().filter(l -> l.startsWith("admission ")).reduce((a, b) -> b).orElse(null);
        if (rc != 0 || line == null) {
            throw new IllegalStateException("admission child failed (exit " + rc + "): " + String.join(" ", cmd) + "\n" + out);
        }
        String[] f = line.split(" ");
        return Arrays.stream(f, 3, f.length).mapToDouble(Double::parseDouble).toArray();
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }

    private static String table(int[] ns, int rounds, Map<String, List<double[]>> results, Instant started,
            String loadBefore, String loadAfter, boolean withBaseline) {
        StringBuilder b = new StringBuilder();
        b.append("Run ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(", ").append(rounds)
                .append(" rounds, each system in a fresh JVM, interleaved; load average ").append(loadBefore)
                .append(" before, ").append(loadAfter).append(" after; ").append(System.getProperty("java.vm.name"))
                .append(' ').append(System.getProperty("java.runtime.version")).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs. Medians (ms):\n\n");
        b.append("| N | pkvm4j | (boot steps 2-5) | PF4J 3.15.0 | raw `ModuleLayer` per plugin | raw, two layers per plugin"
                + " | pkvm4j / PF4J | pkvm4j / raw | pkvm4j / two layers | two layers / PF4J |")
                .append(withBaseline ? " baseline build | pkvm4j / baseline |\n" : "\n");
        b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|").append(withBaseline ? "---:|---:|\n" : "\n");
        for (int n : ns) {
            List<double[]> pkvm = results.get("pkvm4j " + n);
            double pk = median(pkvm.stream().map(r -> r[0]).toList());
            double steps = median(pkvm.stream().map(r -> r[1]).toList());
            double pf = median(results.get("pf4j " + n).stream().map(r -> r[0]).toList());
            double raw = median(results.get("raw " + n).stream().map(r -> r[0]).toList());
            double two = median(results.get("raw2 " + n).stream().map(r -> r[0]).toList());
            b.append(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.2fx | %.2fx | %.2fx | %.2fx |", n, pk,
                    steps, pf, raw, two, ratio(results, "pkvm4j", "pf4j", n), ratio(results, "pkvm4j", "raw", n),
                    ratio(results, "pkvm4j", "raw2", n), ratio(results, "raw2", "pf4j", n)));
            if (withBaseline) {
                double base = median(results.get(BASELINE + " " + n).stream().map(r -> r[0]).toList());
                b.append(String.format(Locale.ROOT, " %.0f | %.2fx |", base, ratio(results, "pkvm4j", BASELINE, n)));
            }
            b.append('\n');
        }
        b.append("\nRatios are medians of the per-round ratios: each round runs every system once, back to back, so a"
                + " change of load between rounds falls on both sides of each ratio.\n");
        b.append("\nEvery run (ms, in run order within each cell):\n\n");
        for (var e : results.entrySet()) {
            b.append("- ").append(e.getKey()).append(": ").append(String.join(", ", e.getValue().stream()
                    .map(r -> String.format(Locale.ROOT, "%.0f", r[0])).toList())).append('\n');
        }
        return b.toString();
    }

    /** The median over rounds of system {@code a}'s time over {@code b}'s in the same round, at {@code n}. */
    private static double ratio(Map<String, List<double[]>> results, String a, String b, int n) {
        List<double[]> x = results.get(a + " " + n);
        List<double[]> y = results.get(b + " " + n);
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            r.add(x.get(i)[0] / y.get(i)[0]);
        }
        return median(r);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static void writeInto(Path file, String table) throws IOException {
        String text = Files.readString(file);
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        if (b < 0 || e < b) {
            throw new IllegalStateException(file + " has no " + BEGIN + " ... " + END + " section");
        }
        Files.writeString(file, text.substring(0, b + BEGIN.length()) + "\n" + table + "\n" + text.substring(e));
    }
}
