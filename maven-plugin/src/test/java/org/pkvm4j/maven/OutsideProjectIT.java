package org.pkvm4j.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pkvm4j.cli.Main;

/**
 * Issue 10's "done": a project written by {@code pkvm new-module} outside the checkout builds,
 * checks and tests with its own {@code ./mvnw verify} against the installed artifacts (the private
 * repository maven-invoker-plugin:install filled), and the unpacked device archive boots it.
 */
class OutsideProjectIT {
    private static final Path WORK = Path.of(System.getProperty("pkvm4j.it.work"));

    private record Result(int code, String output) {
    }

    @Test
    void aGeneratedProjectBuildsWithItsOwnWrapperAndTheDeviceArchiveBootsIt() throws Exception {
        deleteTree(WORK);
        Files.createDirectories(WORK);
        StringWriter out = new StringWriter();
        int generated = Main.run(new PrintWriter(out, true), new PrintWriter(out, true), "new-module", "outside_mod", "--dir",
                WORK.toString(), "--vendor", "example", "--group-id", "com.example", "--pkvm4j-version",
                System.getProperty("pkvm4j.version"));
        assertEquals(0, generated, out.toString());
        Path project = WORK.resolve("outside-mod");

        Result build = run(project, List.of("./mvnw", "-B", "-ntp", "verify", "-s", System.getProperty("pkvm4j.it.settings"),
                "-Dmaven.repo.local=" + System.getProperty("pkvm4j.it.repo")));
        assertEquals(0, build.code(), build.output());
        assertTrue(build.output().contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0"), build.output());
        Path moduleFile = project.resolve("target/outside-mod-1.0.0-SNAPSHOT.jar");
        assertTrue(Files.isRegularFile(moduleFile), build.output());

        Path device = WORK.resolve("device");
        Files.createDirectories(device);
        Result unpack = run(device, List.of("tar", "xzf", System.getProperty("pkvm4j.dist.archive")));
        assertEquals(0, unpack.code(), unpack.output());
        Path initramfs = WORK.resolve("initramfs");
        Files.createDirectories(initramfs);
        Files.copy(moduleFile, initramfs.resolve("outside_mod.jar"));
        Path pkvm = device.resolve("pkvm4j-" + System.getProperty("pkvm4j.version") + "/bin/pkvm");
        Result boot = run(WORK, List.of(pkvm.toString(), "boot", "--initramfs", initramfs.toString(), "--cmdline",
                "kvm-arm.mode=protected kvm-arm.protected_modules=outside_mod nr_cpus=2 mem=256M"));
        assertEquals(0, boot.code(), boot.output());
        assertTrue(boot.output().contains("outside_mod: EL2 handler registered as HVC"), boot.output());
        assertTrue(boot.output().contains("late modprobe percpu_counter") && boot.output().contains("skipped: percpu_counter is not in this initramfs"),
                boot.output());
    }

    private static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        // The JDK running this test is a JDK 25: what ./mvnw and bin/pkvm look for first.
        pb.environment().put("JAVA_HOME", Path.of(System.getProperty("java.home")).toString());
        pb.environment().remove("MAVEN_OPTS");
        Path log = Files.createTempFile(WORK, "run", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(8, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in 8 minutes:\n" + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
