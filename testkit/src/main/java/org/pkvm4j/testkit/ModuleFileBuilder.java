package org.pkvm4j.testkit;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.initramfs.ModuleFile;

/**
 * Builds a vendor module file for a test: the EL1 modular jar with the EL2 jar ({@value
 * ModuleFile#EL2_ENTRY}) and the modinfo inside, as a module's Maven build packs it.
 *
 * <p>Two ways, freely mixed. As the vendor build does: EL1 and EL2 sources (text or a folder, each
 * with its {@code module-info.java}) are compiled in memory against {@code org.pkvm4j.api} on the
 * module path, and {@link #modpost()} stamps the modversions record as {@code pkvm modpost} does.
 * And as an attacker does, bypassing every check of that build: {@link #el1Entry}/{@link #hypEntry}
 * add raw entries with any name (see {@link RawZip}: {@code ../x}, duplicates, non-UTF-8 bytes) and
 * any bytes (see {@link ClassFiles}), {@link #removeEl1Entry}/{@link #removeHypEntry} drop what
 * javac wrote, {@link #hypJar(byte[])} replaces the EL2 jar as a whole. Nothing here checks
 * anything: the device under test must.
 *
 * <pre>{@code
 * Path file = ModuleFileBuilder.module("hello")
 *         .el1Source("module-info.java", "module acme.hello { requires org.pkvm4j.api; ... }")
 *         .el1Source("acme/hello/Hello.java", "...")
 *         .hypSources(Path.of("src/hyp"))
 *         .modpost()
 *         .writeTo(initramfs);
 * }</pre>
 */
public final class ModuleFileBuilder {
    private final Map<String, String> modinfo = new LinkedHashMap<>();
    private byte[] modinfoBytes;
    private final Map<String, String> el1Sources = new TreeMap<>();
    private final Map<String, String> hypSources = new TreeMap<>();
    private final List<Path> modulePath = new ArrayList<>();
    // Null: the running API, looked up only when needed (a benchmark launcher runs without it).
    private Path api;
    private boolean modpost;
    private boolean noHyp;
    private byte[] hypJar;
    private final List<RawZip.Entry> el1Extra = new ArrayList<>();
    private final List<RawZip.Entry> hypExtra = new ArrayList<>();
    private final List<String> el1Removed = new ArrayList<>();
    private final List<String> hypRemoved = new ArrayList<>();
    private Map<String, byte[]> el1Classes;
    private Map<String, byte[]> hypClasses;

    private ModuleFileBuilder(String name) {
        modinfo.put("name", Objects.requireNonNull(name, "name"));
        modinfo.put("version", "1.0");
        modinfo.put("description", "test module " + name);
        modinfo.put("license", "GPL-2.0-only");
    }

    /** A builder for module {@code name} (modinfo {@code name=}, file {@code <name>.jar}). */
    public static ModuleFileBuilder module(String name) {
        return new ModuleFileBuilder(name);
    }

    /**
     * A builder for the fixture in {@code dir}: EL1 sources in {@code dir/el1}, EL2 sources (if any)
     * in {@code dir/hyp}, the modinfo as written in {@code dir/modinfo.properties}.
     */
    public static ModuleFileBuilder fromFolder(Path dir) {
        byte[] info = read(dir.resolve("modinfo.properties"));
        ModuleFileBuilder b = module(properties(info).getProperty("name", dir.getFileName().toString()));
        b.modinfoBytes = info;
        b.el1Sources(dir.resolve("el1"));
        if (Files.isDirectory(dir.resolve("hyp"))) {
            b.hypSources(dir.resolve("hyp"));
        }
        return b;
    }

    /** The jar (or class folder) of the {@code org.pkvm4j.api} this JVM runs. */
    public static Path runningApi() {
        return locationOf(Errno.class);
    }

    /** The module name: modinfo's {@code name=}. */
    public String name() {
        return modinfoBytes != null ? properties(modinfoBytes).getProperty("name") : modinfo.get("name");
    }

    /** Sets one modinfo field ({@code version}, {@code depends}, {@code api.version}, ...). */
    public ModuleFileBuilder modinfo(String key, String value) {
        if (modinfoBytes != null) {
            throw new IllegalStateException("the modinfo was given as bytes");
        }
        modinfo.put(key, value);
        return this;
    }

    /** Uses {@code bytes} as the modinfo entry, exactly. */
    public ModuleFileBuilder modinfoBytes(byte[] bytes) {
        modinfoBytes = bytes.clone();
        return this;
    }

    /** Adds an EL1 source file ({@code module-info.java}, {@code acme/x/Module.java}). */
    public ModuleFileBuilder el1Source(String path, String text) {
        el1Sources.put(path, text);
        el1Classes = null;
        return this;
    }

    /** Adds an EL2 source file; a module with none has no EL2 part, unless raw EL2 entries are added. */
    public ModuleFileBuilder hypSource(String path, String text) {
        hypSources.put(path, text);
        hypClasses = null;
        return this;
    }

    /** Adds every {@code .java} file under {@code dir} as EL1 sources. */
    public ModuleFileBuilder el1Sources(Path dir) {
        readSources(dir).forEach(this::el1Source);
        return this;
    }

    /** Adds every {@code .java} file under {@code dir} as EL2 sources. */
    public ModuleFileBuilder hypSources(Path dir) {
        readSources(dir).forEach(this::hypSource);
        return this;
    }

    /** Compiles against this API jar (a variant) instead of the running one; modpost records it. */
    public ModuleFileBuilder api(Path apiJar) {
        api = Objects.requireNonNull(apiJar, "apiJar");
        el1Classes = null;
        hypClasses = null;
        return this;
    }

    /** Puts {@code jars} (other module files this one's EL1 part requires) on the EL1 module path. */
    public ModuleFileBuilder modulePath(Path... jars) {
        modulePath.addAll(List.of(jars));
        el1Classes = null;
        return this;
    }

    /** Stamps {@code META-INF/pkvm/modversions} as {@code pkvm modpost} does in a vendor's build. */
    public ModuleFileBuilder modpost() {
        return modpost(true);
    }

    /** Whether to stamp {@code META-INF/pkvm/modversions} (the compiled classes are kept either way). */
    public ModuleFileBuilder modpost(boolean stamp) {
        modpost = stamp;
        return this;
    }

    /** Adds a raw entry to the EL1 jar, after what javac wrote. */
    public ModuleFileBuilder el1Entry(RawZip.Entry entry) {
        el1Extra.add(entry);
        return this;
    }

    /** Adds a deflated entry named {@code name} to the EL1 jar. */
    public ModuleFileBuilder el1Entry(String name, byte[] data) {
        return el1Entry(RawZip.Entry.of(name, data));
    }

    /** Adds a raw entry to the EL2 jar, after what javac wrote. */
    public ModuleFileBuilder hypEntry(RawZip.Entry entry) {
        hypExtra.add(entry);
        return this;
    }

    /** Adds a deflated entry named {@code name} to the EL2 jar. */
    public ModuleFileBuilder hypEntry(String name, byte[] data) {
        return hypEntry(RawZip.Entry.of(name, data));
    }

    /** Drops the compiled EL1 entry {@code name} (e.g. {@code module-info.class}, to add another). */
    public ModuleFileBuilder removeEl1Entry(String name) {
        el1Removed.add(name);
        return this;
    }

    /** Drops the compiled EL2 entry {@code name}. */
    public ModuleFileBuilder removeHypEntry(String name) {
        hypRemoved.add(name);
        return this;
    }

    /** Uses {@code bytes} as {@value ModuleFile#EL2_ENTRY}, whatever they are; EL2 sources are then ignored. */
    public ModuleFileBuilder hypJar(byte[] bytes) {
        hypJar = bytes.clone();
        return this;
    }

    /** Leaves {@value ModuleFile#EL2_ENTRY} out even if there are EL2 sources. */
    public ModuleFileBuilder withoutHyp() {
        noHyp = true;
        return this;
    }

    /**
     * Compiles the EL1 and EL2 parts of every one of {@code builders} in one javac run, so that
     * a test building many modules pays for one compilation. Their module names must differ, and
     * they must compile against the same API with no other module path; the classes are then kept
     * by each builder as if it had compiled them itself.
     */
    public static void compileAll(java.util.Collection<ModuleFileBuilder> builders) {
        Map<String, Map<String, String>> modules = new LinkedHashMap<>();
        Path api = null;
        int i = 0;
        for (ModuleFileBuilder b : builders) {
            if (api != null && !api.equals(b.apiPath()) || !b.modulePath.isEmpty()) {
                throw new IllegalArgumentException("compileAll: every builder compiles against one API and nothing else");
            }
            api = b.apiPath();
            if (!b.el1Sources.isEmpty()) {
                modules.put(i + "/el1", b.el1Sources);
            }
            if (!b.hypSources.isEmpty()) {
                modules.put(i + "/hyp", b.hypSources);
            }
            i++;
        }
        if (modules.isEmpty()) {
            return;
        }
        Map<String, Map<String, byte[]>> classes = JavaSources.compileModules(modules, builders.iterator().next().defaultModulePath());
        i = 0;
        for (ModuleFileBuilder b : builders) {
            b.el1Classes = classes.getOrDefault(i + "/el1", Map.of());
            b.hypClasses = classes.getOrDefault(i + "/hyp", Map.of());
            i++;
        }
    }

    /** The compiled EL1 class files, by entry path. */
    public Map<String, byte[]> el1Classes() {
        if (el1Classes == null) {
            List<Path> path = new ArrayList<>(defaultModulePath());
            path.addAll(modulePath);
            el1Classes = el1Sources.isEmpty() ? Map.of() : JavaSources.compile(name() + " (EL1)", el1Sources, path);
        }
        return el1Classes;
    }

    /** The compiled EL2 class files, by entry path. */
    public Map<String, byte[]> hypClasses() {
        if (hypClasses == null) {
            hypClasses = hypSources.isEmpty() ? Map.of()
                    : JavaSources.compile(name() + " (EL2)", hypSources, defaultModulePath());
        }
        return hypClasses;
    }

    /** The compiled EL2 class {@code binaryName} ({@code acme.x.hyp.Hyp}). */
    public byte[] hypClass(String binaryName) {
        byte[] bytes = hypClasses().get(binaryName.replace('.', '/') + ".class");
        if (bytes == null) {
            throw new IllegalArgumentException("no EL2 class " + binaryName + " in " + hypClasses().keySet());
        }
        return bytes.clone();
    }

    /** The EL2 jar as it will be packed, or null for an EL1-only module. */
    public byte[] hypJarBytes() {
        if (noHyp) {
            return null;
        }
        if (hypJar != null) {
            return hypJar.clone();
        }
        if (hypSources.isEmpty() && hypExtra.isEmpty()) {
            return null;
        }
        return zip(hypClasses(), hypRemoved, List.of(), hypExtra).toBytes();
    }

    /** The module file as a raw archive, to add or change entries before writing it. */
    public RawZip archive() {
        byte[] hyp = hypJarBytes();
        List<RawZip.Entry> meta = new ArrayList<>();
        byte[] info = modinfoBytes != null ? modinfoBytes : modinfoText().getBytes(StandardCharsets.UTF_8);
        meta.add(RawZip.Entry.of("META-INF/pkvm/modinfo.properties", info));
        if (hyp != null) {
            meta.add(RawZip.Entry.of(ModuleFile.EL2_ENTRY, hyp));
        }
        if (modpost) {
            meta.add(RawZip.Entry.of(ModPost.ENTRY, modversions(info, hyp)));
        }
        return zip(el1Classes(), el1Removed, meta, el1Extra);
    }

    /** The module file's bytes. */
    public byte[] bytes() {
        return archive().toBytes();
    }

    /** Writes the module file to {@code file}; returns it. */
    public Path write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return archive().write(file);
    }

    /** Writes the module file to {@code dir/<name>.jar}, as an initramfs holds it; returns it. */
    public Path writeTo(Path dir) {
        return write(dir.resolve(name() + ".jar"));
    }

    private String modinfoText() {
        StringBuilder text = new StringBuilder();
        modinfo.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        return text.toString();
    }

    private byte[] modversions(byte[] info, byte[] hyp) {
        Map<String, byte[]> el1 = new TreeMap<>(el1Classes());
        el1Removed.forEach(el1::remove);
        el1.put("META-INF/pkvm/modinfo.properties", info);
        if (hyp != null) {
            el1.put(ModuleFile.EL2_ENTRY, hyp);
        }
        return ModPost.modversions(name(), el1, hyp, apiPath());
    }

    private Path apiPath() {
        return api != null ? api : runningApi();
    }

    private static RawZip zip(Map<String, byte[]> classes, List<String> removed, List<RawZip.Entry> meta,
            List<RawZip.Entry> extra) {
        RawZip zip = new RawZip();
        classes.forEach((path, bytes) -> {
            if (!removed.contains(path)) {
                zip.add(path, bytes);
            }
        });
        meta.forEach(zip::add);
        extra.forEach(zip::add);
        return zip;
    }

    private List<Path> defaultModulePath() {
        // EL1 code may log (Log4j) and name machine types in its signatures, as the fixtures do.
        List<Path> path = new ArrayList<>(List.of(apiPath()));
        for (String type : List.of("org.pkvm4j.machine.Machine", "org.apache.logging.log4j.LogManager")) {
            try {
                path.add(locationOf(Class.forName(type, false, ModuleFileBuilder.class.getClassLoader())));
            } catch (ClassNotFoundException e) {
                // not on this test's path: the module cannot use it either
            }
        }
        return path;
    }

    private static Map<String, String> readSources(Path dir) {
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(f -> f.toString().endsWith(".java")).toList()) {
                sources.put(dir.relativize(p).toString().replace('\\', '/'), Files.readString(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sources in " + dir, e);
        }
        return sources;
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Properties properties(byte[] bytes) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    private static Path locationOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
