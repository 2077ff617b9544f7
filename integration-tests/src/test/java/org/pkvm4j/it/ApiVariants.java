package org.pkvm4j.it;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Other versions of {@code org.pkvm4j.api}, compiled during the test from the real module-api
 * sources with one change each: the APIs a vendor module might have been built against.
 */
enum ApiVariants {
    /** An older API: ModuleOps lacks nrCpus(), ModuleContext lacks printk(). */
    OLDER(Map.of("el2/ModuleOps.java", List.of(
            "    int nrCpus();", ""),
            "el1/ModuleContext.java", List.of(
            "    void printk(String message);", ""))),
    /** ModuleOps.smpProcessorId() returns long: same name, another descriptor. */
    RETURN_TYPE_CHANGED(Map.of("el2/ModuleOps.java", List.of(
            "    int smpProcessorId();", "    long smpProcessorId();"))),
    /** SMCCC_RET_INVALID_PARAMETER is -4: a compile-time constant with another value. */
    CONSTANT_CHANGED(Map.of("Smccc.java", List.of(
            "RET_INVALID_PARAMETER = -3;", "RET_INVALID_PARAMETER = -4;"))),
    /** A newer API: ModuleOps has devicePowerLock(long, long) (BayLibre's device_register_power_lock), which the running one does not. */
    NEWER(Map.of("el2/ModuleOps.java", List.of(
            "    int nrCpus();", "    int nrCpus();\n\n    int devicePowerLock(long phys, long size);"))),
    /** An older API in which KernelModule.init had a default: modules may not implement it. */
    INIT_HAD_DEFAULT(Map.of("el1/KernelModule.java", List.of(
            "    void init(ModuleContext ctx);", "    default void init(ModuleContext ctx) {\n    }")));

    private static final Map<ApiVariants, Path> BUILT = new ConcurrentHashMap<>();

    private final Map<String, List<String>> patches;

    ApiVariants(Map<String, List<String>> patches) {
        this.patches = patches;
    }

    /** The variant's jar, compiled once per test JVM. */
    Path jar() {
        return BUILT.computeIfAbsent(this, ApiVariants::build);
    }

    private Path build() {
        Path sources = Path.of(System.getProperty("pkvm4j.it.api.sources", "../module-api/src/main/java"));
        Path work = FixtureModules.workDir().resolve("api-" + name().toLowerCase(java.util.Locale.ROOT));
        try {
            Path src = work.resolve("src");
            List<String> files = new ArrayList<>();
            try (Stream<Path> walk = Files.walk(sources)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    Path target = src.resolve(sources.relativize(p).toString());
                    Files.createDirectories(target.getParent());
                    Files.writeString(target, patch(sources.relativize(p).toString().replace('\\', '/'), Files.readString(p)));
                    files.add(target.toString());
                }
            }
            Path classes = work.resolve("classes");
            Files.createDirectories(classes);
            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            StringWriter errors = new StringWriter();
            try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
                boolean ok = javac.getTask(errors, fm, null, List.of("--release", "25", "-nowarn", "-d", classes.toString(),
                        "--module-version", "0.0.0-" + name().toLowerCase(java.util.Locale.ROOT)), null,
                        fm.getJavaFileObjectsFromStrings(files)).call();
                if (!ok) {
                    throw new IllegalStateException("API variant " + this + " does not compile:\n" + errors);
                }
            }
            return FixtureModules.jar(classes, work.resolve("pkvm4j-module-api-" + name() + ".jar"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String patch(String relative, String text) {
        String suffix = relative.substring(relative.indexOf("org/pkvm4j/api/") + "org/pkvm4j/api/".length());
        List<String> change = patches.get(suffix);
        if (change == null) {
            return text;
        }
        if (!text.contains(change.get(0))) {
            throw new IllegalStateException("API variant " + this + ": '" + change.get(0) + "' not found in " + relative);
        }
        return text.replace(change.get(0), change.get(1));
    }
}
