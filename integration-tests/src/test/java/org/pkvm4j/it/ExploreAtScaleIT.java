package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pkvm4j.cli.Main;

/**
 * {@code pkvm explore} at scale (ADR 0019): the reduced order space against {@code --exhaustive},
 * threads against one thread, four shards in four JVMs against one run.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // hundreds of boots, four cold JVMs: more than the default 3 on a shared machine
class ExploreAtScaleIT {
    private static final String BUNDLED_THREE = "pkvm_driver,kvstore,percpu_counter";
    /** The sharded exploration's kinds: a failing load and a late one (both reductions), 10 rows, 8 classes. */
    private static final String SHARDED_FAULTS = "el1-init,late";

    /** One in-process run; the JSON it printed (stderr must be the timing line only). */
    private static String json(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("explore"));
        all.addAll(List.of(args));
        all.add("--json");
        assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new)),
                err.toString());
        return out.toString();
    }

    private static String bundled() {
        return System.getProperty("pkvm4j.it.initramfs");
    }

    /**
     * What a reduced run and an exhaustive run must agree on: every row's outcome and the
     * order-dependent faults; what may differ (which rows booted, the counts of it) is taken out.
     */
    private static String verdicts(String json) {
        return json.replaceAll("\"reduction\":\"[a-z]+\",\"sameAs\":(null|[0-9]+),", "")
                .replace("\"exhaustive\":true,", "").replace("\"exhaustive\":false,", "")
                .replaceAll("\"booted\":[0-9]+,\"skipped\":\\{[^}]*},", "");
    }

    /** Scenario: the bundled three modules, every fault kind: the reduced space boots fewer and says the same. */
    @Test
    void reducedAndExhaustiveAgreeOnTheBundledModules() {
        String reduced = json("--initramfs", bundled(), "--modules", BUNDLED_THREE);
        String exhaustive = json("--initramfs", bundled(), "--modules", BUNDLED_THREE, "--exhaustive");
        assertEquals(verdicts(exhaustive), verdicts(reduced));
        assertTrue(exhaustive.contains("\"booted\":108,\"skipped\":{}"), exhaustive);
        // 3 late faults x 6 orders boot 2 each; 14 failing faults x 6 orders boot 5 each (the two with the
        // module first share a boot), unless a module ignores the failure (none of these does).
        assertTrue(reduced.contains("\"booted\":82,\"skipped\":{\"late\":12,\"prefix\":14}"), reduced);
    }

    /**
     * Scenario: a set with dependencies (dep_user needs dep_base) and a third module: dep_base's
     * faults are met inside dep_user's modprobe when dep_user comes first, so the prefix ends
     * there; the verdicts are those of the exhaustive run.
     */
    @Test
    void reducedAndExhaustiveAgreeOnASetWithDependencies() {
        Path initramfs = Devices.newInitramfs();
        Devices.addFixture(initramfs, "dep-base");
        Devices.addFixture(initramfs, "dep-user");
        Devices.addBundled(initramfs, "kvstore");
        String[] args = {"--initramfs", initramfs.toString(), "--modules", "dep_user,kvstore,dep_base"};
        String reduced = json(args);
        String exhaustive = json(append(args, "--exhaustive"));
        assertEquals(verdicts(exhaustive), verdicts(reduced));
        assertTrue(reduced.contains("\"prefix\":"), "some failing load is decided by a prefix: " + reduced);
        assertTrue(reduced.contains("\"orderDependent\":[\"dep_user: EL1 init fails with ENODEV\""), reduced);
    }

    /**
     * Scenario: explore reads the initramfs and the hypervisor jar once and boots every device from
     * those bytes (ADR 0026); the document is the one of boots that each read the files, byte for byte.
     */
    @Test
    void readingTheFilesOnceChangesNoByteOfTheReport() {
        String once = json("--initramfs", bundled(), "--modules", BUNDLED_THREE);
        String everyBoot = json("--initramfs", bundled(), "--modules", BUNDLED_THREE, "--read-every-boot");
        assertEquals(everyBoot, once);
        assertTrue(once.contains("\"booted\":82,"), once);
    }

    /** Scenario: three threads print the document one thread prints, byte for byte. */
    @Test
    void threadsDoNotChangeTheReport() {
        String one = json("--initramfs", bundled(), "--modules", BUNDLED_THREE, "--faults", "el1-init,register,late",
                "--jobs", "1");
        String three = json("--initramfs", bundled(), "--modules", BUNDLED_THREE, "--faults", "el1-init,register,late",
                "--jobs", "3");
        assertEquals(one, three);
    }

    /**
     * Scenario: four shards as four JVMs, each told its part the way its scheduler says it
     * ({@code --shard}, Bazel's variables, a Kubernetes Indexed Job's index with the total by flag
     * and by variable); the merge of their documents is the one-run document, byte for byte.
     */
    @Test
    void fourShardsInFourJvmsMergeToOneRun() throws Exception {
        Path work = Files.createDirectories(Path.of(System.getProperty("pkvm4j.it.work"))
                .resolve("shards-" + ProcessHandle.current().pid()));
        Path status = work.resolve("bazel-shard-status");
        Files.deleteIfExists(status);
        List<Process> shards = new ArrayList<>();
        shards.add(start(work, 0, List.of("--shard", "0/4"), Map.of()));
        shards.add(start(work, 1, List.of(), Map.of("TEST_TOTAL_SHARDS", "4", "TEST_SHARD_INDEX", "1",
                "TEST_SHARD_STATUS_FILE", status.toString())));
        shards.add(start(work, 2, List.of("--shard-total", "4"), Map.of("JOB_COMPLETION_INDEX", "2")));
        shards.add(start(work, 3, List.of(), Map.of("JOB_COMPLETION_INDEX", "3", "PKVM_EXPLORE_SHARDS", "4")));
        for (int i = 0; i < shards.size(); i++) {
            Process p = shards.get(i);
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "shard " + i + " still running");
            assertEquals(0, p.exitValue(), "shard " + i + ": " + Files.readString(work.resolve(i + ".err")));
        }
        assertTrue(Files.exists(status), "Bazel's TEST_SHARD_STATUS_FILE is touched");
        for (int i = 0; i < 4; i++) {
            assertTrue(Files.readString(work.resolve(i + ".json")).contains("\"shard\":\"" + i + "/4\""), "shard " + i);
        }

        StringWriter merged = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(merged, true), new PrintWriter(err, true), "explore", "merge",
                work.resolve("2.json").toString(), work.resolve("0.json").toString(), work.resolve("3.json").toString(),
                work.resolve("1.json").toString()), err.toString());
        assertEquals(json("--initramfs", bundled(), "--faults", SHARDED_FAULTS), merged.toString());

        StringWriter out = new StringWriter();
        StringWriter missing = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(out, true), new PrintWriter(missing, true), "explore", "merge",
                work.resolve("0.json").toString(), work.resolve("1.json").toString(), work.resolve("3.json").toString()));
        assertTrue(missing.toString().contains("shard 2/4 is missing"), missing.toString());
        assertEquals(2, Main.run(new PrintWriter(out, true), new PrintWriter(missing, true), "explore", "merge",
                work.resolve("0.json").toString(), work.resolve("0.json").toString()));
        assertTrue(missing.toString().contains("shard 0/4 is given twice"), missing.toString());
    }

    /** {@code pkvm explore --initramfs <bundled> --json ARGS} in a fresh JVM, with {@code env} added. */
    private static Process start(Path work, int i, List<String> args, Map<String, String> env) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
                command.add(arg);
            }
        }
        command.add("-Dpkvm4j.hypervisor=" + System.getProperty("pkvm4j.hypervisor"));
        // Log4j as ./pkvm runs it: the image's configuration, the console off (stdout is the document).
        command.add("-Dlog4j2.configurationFile=" + Path.of(bundled()).resolveSibling("conf").resolve("log4j2.xml"));
        command.add("-Dpkvm4j.log.level=off");
        command.addAll(List.of("-m", "org.pkvm4j.cli/org.pkvm4j.cli.Main", "explore", "--initramfs", bundled(), "--json",
                "--faults", SHARDED_FAULTS));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(work.resolve(i + ".json").toFile())
                .redirectError(work.resolve(i + ".err").toFile());
        for (String v : List.of("TEST_TOTAL_SHARDS", "TEST_SHARD_INDEX", "TEST_SHARD_STATUS_FILE", "JOB_COMPLETION_INDEX",
                "PKVM_EXPLORE_SHARDS")) {
            pb.environment().remove(v);
        }
        pb.environment().putAll(env);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] append(String[] args, String more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = more;
        return all;
    }
}
