package org.pkvm4j.host.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The bundled vendor modules' EL2 parts in the source tree: their sources, and their jars once built. */
final class VendorModules {
    private VendorModules() {
    }

    /** {@code vendor-modules/} of this checkout, found from the working directory up. */
    static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("vendor-modules"))) {
                return dir.resolve("vendor-modules");
            }
        }
        throw new IllegalStateException("no vendor-modules/ above " + Path.of("").toAbsolutePath());
    }

    /** Every {@code <module>/hyp/src/main/java}. */
    static List<Path> hypSourceDirs(Path root) throws IOException {
        try (Stream<Path> modules = Files.list(root)) {
            return modules.map(m -> m.resolve("hyp/src/main/java")).filter(Files::isDirectory).sorted().toList();
        }
    }

    /** Every built {@code <module>/hyp/target/*-hyp-*.jar}; none before vendor-modules is built. */
    static List<Path> builtHypJars(Path root) throws IOException {
        try (Stream<Path> modules = Files.list(root)) {
            return modules.map(m -> m.resolve("hyp/target")).filter(Files::isDirectory).flatMap(t -> {
                try (Stream<Path> files = Files.list(t)) {
                    return files.filter(f -> {
                        String n = f.getFileName().toString();
                        return n.contains("-hyp-") && n.endsWith(".jar") && !n.endsWith("-sources.jar")
                                && !n.endsWith("-javadoc.jar");
                    }).toList().stream();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toList();
        }
    }
}
