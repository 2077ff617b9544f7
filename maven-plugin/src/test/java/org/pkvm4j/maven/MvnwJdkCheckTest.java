package org.pkvm4j.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./mvnw} with an older JDK in JAVA_HOME: one clear line naming JDK 25, before Maven (and .mvn/jvm.config) starts. */
class MvnwJdkCheckTest {
    private static final Path ROOT = Path.of(System.getProperty("pkvm4j.it.root"));

    /** A JDK home that says it is Java 17: a release file and java/javac that would fail if run. */
    private static Path fakeJdk(Path dir, String version) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("java", "javac")) {
            Path exe = bin.resolve(tool);
            Files.writeString(exe, "#!/bin/sh\necho 'Unrecognized option: --sun-misc-unsafe-memory-access=allow' >&2\nexit 1\n");
            assertTrue(exe.toFile().setExecutable(true));
        }
        Files.writeString(dir.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
        return dir;
    }

    @Test
    void anOlderJdkInJavaHomeFailsWithOneLineNamingJdk25(@TempDir Path dir) throws Exception {
        Path jdk17 = fakeJdk(dir.resolve("jdk-17"), "17.0.2");
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("mvnw").toString(), "-v").directory(ROOT.toFile());
        pb.environment().put("JAVA_HOME", jdk17.toString());
        Path err = dir.resolve("err");
        pb.redirectError(err.toFile()).redirectOutput(dir.resolve("out").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue());
        List<String> lines = Files.readAllLines(err);
        assertEquals(List.of("mvnw: pkvm4j needs a JDK 25, but JAVA_HOME=" + jdk17
                + " is Java 17: set JAVA_HOME to a JDK 25 (or unset it to let mvnw find one)."), lines);
        assertEquals("", Files.readString(dir.resolve("out")));
    }
}
