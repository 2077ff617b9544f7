package org.pkvm4j.testkit;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.spi.ToolProvider;
import org.apache.logging.log4j.LogManager;
import org.pkvm4j.api.Errno;

/**
 * Builds a module file from sources as a vendor module's Maven build does (javac against the module
 * API on the module path, the EL2 jar and modinfo packed into the EL1 jar), for the bundled modules
 * (built after this module in the reactor) and the module {@code new-module} generates.
 */
final class SourceModules {
    /** The bundled modules, by folder under {@code vendor-modules/}. */
    static final List<String> BUNDLED = List.of("pkvm-driver", "kvstore", "percpu-counter", "hello-el1");

    private SourceModules() {
    }

    /** {@code vendor-modules/} of this checkout. */
    static Path vendorModules() {
        return Path.of(System.getProperty("pkvm4j.testkit.vendor-modules", "../vendor-modules"));
    }

    /** Where the tests put what they build. */
    static Path work() {
        return Path.of(System.getProperty(PkvmDevice.WORK_PROPERTY, "target/testkit-work"));
    }

    /**
     * Builds bundled module {@code folder} into {@code out}: {@code <folder>/el1} and {@code
     * <folder>/hyp}, or {@code <folder>} itself for an EL1-only module. Returns the module file.
     */
    static Path buildBundled(String folder, Path out) {
        Path dir = vendorModules().resolve(folder);
        Path el1 = Files.isDirectory(dir.resolve("el1")) ? dir.resolve("el1") : dir;
        Path hyp = dir.resolve("hyp/src/main/java");
        return build(el1.resolve("src/main/java"), Files.isDirectory(hyp) ? hyp : null,
                el1.resolve("src/main/modinfo/modinfo.properties"), out);
    }

    /**
     * Compiles {@code el1Src} (and {@code hypSrc}, may be null), adds the modinfo with the POM's
     * placeholders filled and writes {@code out/<name>.jar}.
     */
    static Path build(Path el1Src, Path hypSrc, Path modinfo, Path out) {
        try {
            Path work = Files.createDirectories(out).resolve("build-" + el1Src.toAbsolutePath().hashCode());
            deleteTree(work);
            Path el1Classes = compile(el1Src, work.resolve("el1"));
            Path meta = Files.createDirectories(el1Classes.resolve("META-INF/pkvm"));
            String info = Files.readString(modinfo).replace("${project.version}", "0.1.0-SNAPSHOT")
                    .replace("${pkvm.api.version}", "0.1.0-SNAPSHOT").replace("${project.description}", "test build");
            Files.writeString(meta.resolve("modinfo.properties"), info);
            if (hypSrc != null) {
                jar(compile(hypSrc, work.resolve("hyp")), meta.resolve("hyp.jar"));
            }
            String name = info.lines().filter(l -> l.startsWith("name=")).findFirst()
                    .orElseThrow(() -> new IllegalStateException(modinfo + " has no name=")).substring(5).strip();
            return jar(el1Classes, out.resolve(name + ".jar"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path compile(Path sources, Path out) throws IOException {
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        Files.createDirectories(out);
        List<String> args = new ArrayList<>(List.of("--release", "25", "-proc:none", "-nowarn",
                "--module-path", jarOf(Errno.class) + File.pathSeparator + jarOf(LogManager.class), "-d", out.toString()));
        args.addAll(files);
        // javac through java.util.spi.ToolProvider (java.base): the test classes are compiled into
        // org.pkvm4j.testkit, which does not read java.compiler.
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new IllegalStateException("no javac: run on a JDK"));
        StringWriter errors = new StringWriter();
        int code;
        try (java.io.PrintWriter err = new java.io.PrintWriter(errors)) {
            code = javac.run(err, err, args.toArray(String[]::new));
        }
        if (code != 0) {
            throw new IllegalStateException(sources + " does not compile:\n" + errors);
        }
        return out;
    }

    private static Path jar(Path classes, Path file) throws IOException {
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file)); Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(p));
                jar.closeEntry();
            }
        }
        return file;
    }

    private static String jarOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
