package org.pkvm4j.it;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.apache.logging.log4j.LogManager;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.cli.Main;
import org.pkvm4j.machine.Machine;

/**
 * Builds fixture vendor modules from source, the way a module author's build would: javac against
 * the module API on the module path, one modular jar per part, the EL2 jar and modinfo packed into
 * the EL1 jar.
 *
 * <p>A fixture is a folder {@code src/test/fixtures/<fixture>/} with {@code el1/} (sources with a
 * {@code module-info.java}), an optional {@code hyp/} and a {@code modinfo.properties}. Each is
 * built once per test JVM and API, against the running API or a variant ({@link ApiVariants}),
 * with or without a modversions record.
 */
final class FixtureModules {
    private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();
    private static final Path RUNNING_API = Path.of(jarOf(KernelModule.class));

    private FixtureModules() {
    }

    /** The jar of the {@code org.pkvm4j.api} this JVM runs. */
    static Path runningApi() {
        return RUNNING_API;
    }

    /** The module file of {@code fixture}, built against the running API, without modversions. */
    static Path build(String fixture) {
        return build(fixture, RUNNING_API, false);
    }

    /**
     * The module file of {@code fixture} built against the API jar {@code api}, stamped by {@code
     * pkvm modpost} if {@code modpost}, as a vendor's Maven build does.
     */
    static synchronized Path build(String fixture, Path api, boolean modpost) {
        // Not computeIfAbsent: building a fixture builds the fixtures it depends on first (reentrant).
        String key = fixture + "|" + api + "|" + modpost;
        Path built = BUILT.get(key);
        if (built == null) {
            built = compileAndPack(fixture, api, modpost);
            BUILT.put(key, built);
        }
        return built;
    }

    /** The module name a fixture declares in its modinfo. */
    static String moduleName(String fixture) {
        return modinfo(source(fixture)).getProperty("name");
    }

    private static Path compileAndPack(String fixture, Path api, boolean modpost) {
        Path src = source(fixture);
        Path work = workDir().resolve("fixtures").resolve(fixture + "-" + Integer.toHexString((api + "|" + modpost).hashCode()));
        try {
            deleteTree(work);
            // A fixture that depends on others compiles against their module files, as a vendor's
            // build compiles against the modules its depends= names.
            List<String> dependencies = new ArrayList<>();
            // Only those its EL1 descriptor requires: a depends= cycle or a missing module must build.
            String descriptor = Files.readString(src.resolve("el1/module-info.java"));
            for (String dep : modinfo(src).getProperty("depends", "").split(",")) {
                if (!dep.isBlank() && descriptor.contains("requires fixture." + dep.trim() + ";")) {
                    dependencies.add(build(dep.trim().replace('_', '-'), api, modpost).toString());
                }
            }
            Path el1Classes = compile(src.resolve("el1"), work.resolve("el1-classes"), api, dependencies);
            Path pkvmDir = Files.createDirectories(el1Classes.resolve("META-INF/pkvm"));
            Files.copy(src.resolve("modinfo.properties"), pkvmDir.resolve("modinfo.properties"));
            Path hyp = src.resolve("hyp");
            if (Files.isDirectory(hyp)) {
                jar(compile(hyp, work.resolve("hyp-classes"), api, List.of()), pkvmDir.resolve("hyp.jar"));
            }
            if (modpost) {
                StringWriter out = new StringWriter();
                int code = Main.run(new PrintWriter(out), new PrintWriter(out), "modpost", "--api", api.toString(),
                        "--el1", el1Classes.toString());
                if (code != 0) {
                    throw new IllegalStateException("modpost of " + fixture + " failed: " + out);
                }
            }
            return jar(el1Classes, work.resolve(modinfo(src).getProperty("name") + ".jar"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build fixture " + fixture, e);
        }
    }

    private static Path compile(Path sources, Path out, Path api, List<String> dependencies) throws IOException {
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        Files.createDirectories(out);
        List<String> args = new ArrayList<>(List.of("--release", "25", "-proc:none", "-nowarn",
                "--module-path", String.join(java.io.File.pathSeparator, Stream.concat(Stream.of(api.toString(),
                        jarOf(Machine.class), jarOf(LogManager.class)), dependencies.stream()).toList()),
                "-d", out.toString()));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        boolean ok;
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
            ok = javac.getTask(errors, fm, null, args, null, fm.getJavaFileObjectsFromStrings(files)).call();
        }
        if (!ok) {
            throw new IllegalStateException("fixture " + sources + " does not compile:\n" + errors);
        }
        return out;
    }

    /** Packs a directory into a jar file at {@code file}, entries sorted; returns {@code file}. */
    static Path jar(Path classes, Path file) throws IOException {
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file)); Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                put(jar, classes.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return file;
    }

    private static void put(JarOutputStream jar, String name, byte[] data) throws IOException {
        jar.putNextEntry(new JarEntry(name));
        jar.write(data);
        jar.closeEntry();
    }

    private static Properties modinfo(Path src) {
        Properties p = new Properties();
        try (var in = Files.newInputStream(src.resolve("modinfo.properties"))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    private static Path source(String fixture) {
        Path src = Path.of(System.getProperty("pkvm4j.it.fixtures", "src/test/fixtures")).resolve(fixture);
        if (!Files.isDirectory(src)) {
            throw new IllegalArgumentException("no fixture " + fixture + " in " + src.getParent());
        }
        return src;
    }

    static Path workDir() {
        return Path.of(System.getProperty("pkvm4j.it.work", "target/it-work"));
    }

    private static String jarOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
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
