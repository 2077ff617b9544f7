package org.pkvm4j.it.hostile;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the cases whose code would end the test JVM ({@code System.exit}) or spin in it for good
 * where nothing stops it, in one JVM of their own: the child boots and drives each case's device in
 * turn, writes what it saw with {@code alive=true} after each, and exits 0. A case that ends the
 * child leaves no observation for itself and the cases after it; a child still running after the
 * deadline is killed, and what it did not finish is reported as such.
 */
public final class ForkedCase {
    /** How long the child may take for all its cases: JVM start, boots, the lockup watchdog's bounds. */
    static final Duration DEADLINE = Duration.ofSeconds(45);
    private static Map<String, Observation> seen;
    private static String outcome;

    private ForkedCase() {
    }

    /** Child side: {@code <observation folder> (<case id> <initramfs>)...}. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        CaseRun.warmUp();
        for (int i = 1; i + 1 < args.length; i += 2) {
            HostileCase c = HostileCases.byId(args[i]);
            Observation o = CaseRun.run(c, Path.of(args[i + 1])).seen();
            o.put("alive", true);
            try (Writer w = Files.newBufferedWriter(out.resolve(c.id() + ".observation"))) {
                o.store(w);
            }
        }
        // A thread a module started must not keep this JVM: every observation is written.
        Runtime.getRuntime().halt(0);
    }

    /** Parent side: what the child saw of {@code c}; the first call runs every forked case of the corpus. */
    static synchronized Observation observation(HostileCase c) {
        if (seen == null) {
            seen = runAll(HostileCases.ALL.stream().filter(HostileCase::forked).toList());
        }
        Observation o = seen.get(c.id());
        if (o == null) {
            o = new Observation();
            o.put("alive", false);
        }
        o.put("forked.exit", outcome);
        return o;
    }

    private static Map<String, Observation> runAll(List<HostileCase> cases) {
        Path out = HostileModules.work().resolve("forked-" + ProcessHandle.current().pid());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
                command.add(arg);
            }
        }
        for (String property : List.of("pkvm4j.hypervisor", "pkvm4j.it.initramfs", "pkvm4j.it.work")) {
            String value = System.getProperty(property);
            if (value != null) {
                command.add("-D" + property + "=" + value);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ForkedCase.class.getName(), out.toString()));
        try {
            CaseRun.deleteTree(out);
            Files.createDirectories(out);
            for (HostileCase c : cases) {
                command.add(c.id());
                command.add(CaseRun.initramfs(c, c.variants().getFirst()).toString());
            }
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.resolve("child.log").toFile())
                    .start();
            boolean ended = child.waitFor(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                child.destroyForcibly().waitFor();
            }
            outcome = ended ? "exit " + child.exitValue() : "killed: still running after " + DEADLINE;
            Map<String, Observation> observations = new HashMap<>();
            for (HostileCase c : cases) {
                Path file = out.resolve(c.id() + ".observation");
                if (Files.exists(file)) {
                    try (Reader in = Files.newBufferedReader(file)) {
                        observations.put(c.id(), Observation.load(in));
                    }
                }
            }
            return observations;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
