package org.pkvm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.pkvm4j.api.Errno;

/**
 * (A copy of the tools tests' ApiJars, without its diff: the CLI tests cannot read another module's test
 * classes.) Compiles tiny API variants into real modular jars, the way a real API jar is made: javac, then
 * a jar. Each variant is module {@code fixture.api}, exporting every package its sources declare
 * except those named {@code hidden*}, and reading {@code org.pkvm4j.api} for {@code @VendorImplemented}.
 */
final class ApiJars {
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern TYPE = Pattern.compile(
            "\\b(?:class|interface|enum|record|@interface)\\s+(\\w+)");

    private ApiJars() {
    }

    /**
     * Compiles {@code sources} (whole compilation units, one top-level public type each) into
     * {@code dir/label.jar}.
     */
    static Path compile(Path dir, String label, String... sources) {
        try {
            Path src = dir.resolve(label + "-src");
            Path classes = dir.resolve(label + "-classes");
            TreeSet<String> packages = new TreeSet<>();
            List<String> files = new ArrayList<>();
            for (String source : sources) {
                Matcher p = PACKAGE.matcher(source);
                Matcher t = TYPE.matcher(source);
                if (!p.find() || !t.find()) {
                    throw new IllegalArgumentException("no package or type in:\n" + source);
                }
                packages.add(p.group(1));
                Path file = src.resolve(p.group(1).replace('.', '/')).resolve(t.group(1) + ".java");
                Files.createDirectories(file.getParent());
                Files.writeString(file, source);
                files.add(file.toString());
            }
            StringBuilder info = new StringBuilder("module fixture.api {\n    requires static org.pkvm4j.api;\n");
            packages.stream().filter(p -> !p.startsWith("hidden")).forEach(p -> info.append("    exports ").append(p).append(";\n"));
            Path moduleInfo = src.resolve("module-info.java");
            Files.writeString(moduleInfo, info.append("}\n").toString());
            files.add(moduleInfo.toString());
            javac(files, classes);
            Path jar = dir.resolve(label + ".jar");
            pack(classes, jar);
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    /** Where the running {@code org.pkvm4j.api} lives (a jar, or a build's class folder). */
    static Path apiLocation() {
        Module api = Errno.class.getModule();
        return Path.of(api.getLayer().configuration().findModule(api.getName()).orElseThrow()
                .reference().location().orElseThrow());
    }

    // javac through java.base's ToolProvider, not javax.tools: org.pkvm4j.host (which these tests
    // are patched into) does not read java.compiler, and the command-line javac is the same compiler.
    private static void javac(List<String> files, Path out) {
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new IllegalStateException("no javac: run on a JDK"));
        List<String> args = new ArrayList<>(List.of("--release", "25", "-proc:none", "-nowarn",
                "--module-path", apiLocation().toString(), "-d", out.toString()));
        args.addAll(files);
        StringWriter errors = new StringWriter();
        PrintWriter err = new PrintWriter(errors);
        if (javac.run(err, err, args.toArray(String[]::new)) != 0) {
            err.flush();
            throw new IllegalStateException("variant does not compile:\n" + errors);
        }
    }

    private static void pack(Path classes, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> walk = Files.walk(classes)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(p));
                out.closeEntry();
            }
        }
    }
}
