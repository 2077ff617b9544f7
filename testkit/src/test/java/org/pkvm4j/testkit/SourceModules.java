package org.pkvm4j.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds a module file from sources as a vendor module's Maven build does, with the kit's {@link
 * ModuleFileBuilder}, for the bundled modules (built after this module in the reactor).
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
     * Compiles {@code el1Src} (and {@code hypSrc}, may be null) with {@link ModuleFileBuilder}, adds
     * the modinfo with the POM's placeholders filled and writes {@code out/<name>.jar}.
     */
    static Path build(Path el1Src, Path hypSrc, Path modinfo, Path out) {
        try {
            String info = Files.readString(modinfo).replace("${project.version}", "0.1.0-SNAPSHOT")
                    .replace("${pkvm.api.version}", "0.1.0-SNAPSHOT").replace("${pkvm.kmi}", "android16-6.12")
                    .replace("${project.description}", "test build");
            String name = info.lines().filter(l -> l.startsWith("name=")).findFirst()
                    .orElseThrow(() -> new IllegalStateException(modinfo + " has no name=")).substring(5).strip();
            ModuleFileBuilder module = ModuleFileBuilder.module(name).modinfoBytes(info.getBytes(StandardCharsets.UTF_8))
                    .el1Sources(el1Src);
            if (hypSrc != null) {
                module.hypSources(hypSrc);
            }
            return module.writeTo(Files.createDirectories(out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
