package org.pkvm4j.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.pkvm4j.testkit.ModuleFileBuilder;
import org.pkvm4j.testkit.RawZip;

/**
 * Builds fixture vendor modules from source with the test kit's {@link ModuleFileBuilder}, the way a
 * module author's build would: javac against the module API on the module path, one modular jar
 * per part, the EL2 jar and modinfo packed into the EL1 jar.
 *
 * <p>A fixture is a folder {@code src/test/fixtures/<fixture>/} with {@code el1/} (sources with a
 * {@code module-info.java}), an optional {@code hyp/} and a {@code modinfo.properties}. Each is
 * built once per test JVM and API, against the running API or a variant ({@link ApiVariants}),
 * with or without a modversions record.
 */
final class FixtureModules {
    private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();
    private static final Path RUNNING_API = ModuleFileBuilder.runningApi();

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
        // A fixture that depends on others compiles against their module files, as a vendor's
        // build compiles against the modules its depends= names: only those its EL1 descriptor
        // requires, so that a depends= cycle or a missing module still builds.
        ModuleFileBuilder module = ModuleFileBuilder.fromFolder(src).api(api);
        String descriptor = readString(src.resolve("el1/module-info.java"));
        for (String dep : modinfo(src).getProperty("depends", "").split(",")) {
            if (!dep.isBlank() && descriptor.contains("requires fixture." + dep.trim() + ";")) {
                module.modulePath(build(dep.trim().replace('_', '-'), api, modpost));
            }
        }
        if (modpost) {
            module.modpost();
        }
        Path out = workDir().resolve("fixtures").resolve(fixture + "-" + Integer.toHexString((api + "|" + modpost).hashCode()));
        return module.writeTo(out);
    }

    /** Packs a directory into a jar file at {@code file}, entries sorted; returns {@code file}. */
    static Path jar(Path classes, Path file) throws IOException {
        RawZip zip = new RawZip();
        try (Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                zip.add(classes.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return zip.write(file);
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
}
