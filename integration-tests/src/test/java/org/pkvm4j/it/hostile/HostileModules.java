package org.pkvm4j.it.hostile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pkvm4j.it.hostile.HostileCase.Variant;
import org.pkvm4j.testkit.ModuleFileBuilder;
import org.pkvm4j.testkit.RawZip;

/** Builds each case's module file once per test JVM, with the test kit's {@link ModuleFileBuilder}. */
final class HostileModules {
    private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();
    // One compilation per case, shared by its variants: javac is most of a case's cost.
    private static final Map<String, ModuleFileBuilder> COMPILED = new ConcurrentHashMap<>();

    private HostileModules() {
    }

    /** Where the corpus keeps what it builds. */
    static Path work() {
        return Path.of(System.getProperty("pkvm4j.it.work", "target/it-work")).toAbsolutePath().resolve("hostile");
    }

    /** Compiles the sources of every case in {@code cases} in one javac run, and applies their hand-made changes. */
    static void compileAll(List<HostileCase> cases) {
        Map<String, ModuleFileBuilder> builders = new java.util.LinkedHashMap<>();
        for (HostileCase c : cases) {
            if (!COMPILED.containsKey(c.id())) {
                builders.put(c.id(), c.source().builder(c.files()));
            }
        }
        ModuleFileBuilder.compileAll(builders.values());
        for (HostileCase c : cases) {
            ModuleFileBuilder b = builders.get(c.id());
            if (b != null) {
                COMPILED.putIfAbsent(c.id(), c.tamper().apply(b, c.source()));
            }
        }
    }

    /** The module file of {@code c} packed as {@code variant}. */
    static Path file(HostileCase c, Variant variant) {
        return BUILT.computeIfAbsent(c.id() + "/" + variant, k -> build(c, variant));
    }

    private static Path build(HostileCase c, Variant variant) {
        Path dir = work().resolve("modules").resolve(variant.name().toLowerCase(java.util.Locale.ROOT));
        ModuleFileBuilder builder = COMPILED.computeIfAbsent(c.id(), id -> c.tamper().apply(c.source().builder(c.files()), c.source()));
        Path file = dir.resolve(c.module() + ".jar");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (builder) {
            if (variant == Variant.VENDOR_BUILD) {
                return builder.modpost(true).write(file);
            }
            return byHand(builder.modpost(false).archive()).write(file);
        }
    }

    /** The same entries, each stored (uncompressed), in reverse order: what a zip tool run by hand writes. */
    static RawZip byHand(RawZip built) {
        RawZip zip = new RawZip();
        List<RawZip.Entry> entries = built.entries().reversed();
        for (RawZip.Entry e : entries) {
            zip.add(new RawZip.Entry(e.name(), e.data(), e.zeros(), RawZip.Method.STORED));
        }
        return zip;
    }
}
