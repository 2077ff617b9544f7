package org.pkvm4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarOutputStream;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.pkvm4j.api.Errno;

/**
 * (A copy of host-kernel's verify test helper until the test kit's module-file builder replaces both.)
 * Compiles fixture sources with the running JDK's javac, against the real module API jar, the way a
 * module author's build does, and packs the classes as jars in memory.
 */
final class FixtureCompiler {
    private FixtureCompiler() {
    }

    /** The module API jar (or classes directory) the tests run with. */
    static Path apiJar() {
        try {
            return Path.of(Errno.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Compiles {@code sources} (file path relative to the source root, to text) into {@code out}.
     *
     * @param modular whether the API goes on the module path (sources with a module-info) or the
     *     class path
     */
    static Path compile(Path dir, Map<String, String> sources, boolean modular) throws IOException {
        Path src = dir.resolve("src");
        Path out = dir.resolve("classes");
        Files.createDirectories(out);
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            Path file = src.resolve(e.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue());
            files.add(file.toString());
        }
        return compileFiles(files, out, modular);
    }

    /** Compiles source files into {@code out}. */
    static Path compileFiles(List<String> files, Path out, boolean modular) throws IOException {
        Files.createDirectories(out);
        List<String> args = new ArrayList<>(List.of("--release", "25", "-proc:none", "-nowarn", "-Xlint:none",
                "-XDsuppressNotes", modular ? "--module-path" : "--class-path", apiJar().toString(), "-d", out.toString()));
        args.addAll(files);
        // javac through java.util.spi.ToolProvider (java.base): javax.tools is in java.compiler, which
        // org.pkvm4j.host, whose module these tests are patched into, does not read.
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new IllegalStateException("no javac: run on a JDK"));
        StringWriter errors = new StringWriter();
        int code;
        try (PrintWriter err = new PrintWriter(errors)) {
            code = javac.run(err, err, args.toArray(String[]::new));
        }
        if (code != 0) {
            throw new IllegalStateException("fixtures do not compile:\n" + errors);
        }
        return out;
    }

    /** Every class file under {@code classes} whose path (with '/') starts with {@code prefix}. */
    static Map<String, byte[]> classes(Path classes, String prefix) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = classes.relativize(p).toString().replace('\\', '/');
                if (name.startsWith(prefix)) {
                    entries.put(name, Files.readAllBytes(p));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    /** A jar of {@code entries}, as bytes. */
    static byte[] jarBytes(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new ZipEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

}
