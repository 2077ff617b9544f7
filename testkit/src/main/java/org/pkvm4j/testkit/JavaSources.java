package org.pkvm4j.testkit;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * javac in memory: one module's sources (text, with their {@code module-info.java}) in, its class
 * files (by entry path) out, against a module path, as a module author's build compiles one part.
 */
final class JavaSources {
    // One file manager for every compilation in this JVM: it caches the JDK's and the module
    // path's archives, which is most of what a small compilation costs.
    private static StandardJavaFileManager shared;

    private JavaSources() {
    }

    /**
     * Compiles {@code sources} (path relative to the source root, to text) against {@code modulePath}.
     *
     * @return the class files by entry path ({@code a/b/C.class}, {@code module-info.class}), sorted
     * @throws IllegalStateException with javac's messages if they do not compile
     */
    static synchronized Map<String, byte[]> compile(String label, Map<String, String> sources, List<Path> modulePath) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: run the tests on a JDK, not a JRE");
        }
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((path, text) -> units.add(new Source(path, text)));
        List<String> options = List.of("--release", Integer.toString(Runtime.version().feature()), "-proc:none",
                "-nowarn", "-Xlint:none", "-XDsuppressNotes", "--module-path",
                String.join(File.pathSeparator, modulePath.stream().map(Path::toString).toList()));
        Map<String, byte[]> classes = new TreeMap<>();
        StringWriter errors = new StringWriter();
        if (shared == null) {
            shared = javac.getStandardFileManager(null, null, null);
        }
        JavaFileManager files = new Outputs(shared, classes);
        if (!javac.getTask(errors, files, null, options, null, units).call()) {
            throw new IllegalStateException(label + " does not compile:\n" + errors);
        }
        return classes;
    }

    /**
     * Compiles several modules in one javac run (multi-module mode), each given as its sources
     * with a {@code module-info.java}: one run costs a fraction of one per module.
     *
     * @return each module's class files by entry path, under the key it was given with
     */
    static synchronized Map<String, Map<String, byte[]>> compileModules(Map<String, Map<String, String>> modules,
            List<Path> modulePath) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: run the tests on a JDK, not a JRE");
        }
        Path root = null;
        try {
            root = Files.createTempDirectory("pkvm4j-modules");
            Path src = root.resolve("src");
            Path out = root.resolve("out");
            Map<String, String> nameOf = new LinkedHashMap<>();
            List<String> files = new ArrayList<>();
            for (Map.Entry<String, Map<String, String>> module : modules.entrySet()) {
                String info = module.getValue().get("module-info.java");
                Matcher m = info == null ? null : MODULE_NAME.matcher(info);
                if (m == null || !m.find()) {
                    throw new IllegalArgumentException(module.getKey() + " has no module-info.java");
                }
                if (nameOf.containsValue(m.group(1))) {
                    throw new IllegalArgumentException("module " + m.group(1) + " given twice");
                }
                nameOf.put(module.getKey(), m.group(1));
                for (Map.Entry<String, String> source : module.getValue().entrySet()) {
                    Path file = src.resolve(m.group(1)).resolve(source.getKey());
                    Files.createDirectories(file.getParent());
                    Files.writeString(file, source.getValue());
                    files.add(file.toString());
                }
            }
            List<String> args = new ArrayList<>(List.of("--release", Integer.toString(Runtime.version().feature()),
                    "-proc:none", "-nowarn", "-Xlint:none", "-XDsuppressNotes", "--module-source-path", src.toString(),
                    "--module-path", String.join(File.pathSeparator, modulePath.stream().map(Path::toString).toList()),
                    "-d", out.toString()));
            args.addAll(files);
            StringWriter errors = new StringWriter();
            if (javac.run(null, null, new WriterStream(errors), args.toArray(String[]::new)) != 0) {
                throw new IllegalStateException("the modules do not compile:\n" + errors);
            }
            Map<String, Map<String, byte[]>> classes = new LinkedHashMap<>();
            for (Map.Entry<String, String> module : nameOf.entrySet()) {
                Path dir = out.resolve(module.getValue());
                Map<String, byte[]> entries = new TreeMap<>();
                try (Stream<Path> walk = Files.walk(dir)) {
                    for (Path p : walk.filter(Files::isRegularFile).toList()) {
                        entries.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
                    }
                }
                classes.put(module.getKey(), entries);
            }
            return classes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(root);
        }
    }

    private static final Pattern MODULE_NAME = Pattern.compile("\\bmodule\\s+([\\w.]+)\\s*\\{");

    /** javac's diagnostics into a writer. */
    private static final class WriterStream extends OutputStream {
        private final StringWriter to;

        WriterStream(StringWriter to) {
            this.to = to;
        }

        @Override
        public void write(int b) {
            to.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            to.write(new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static void deleteTree(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }

    /** One source file held as text. */
    private static final class Source extends SimpleJavaFileObject {
        private final String text;

        Source(String path, String text) {
            super(URI.create("mem:///" + path.replace('\\', '/')), Kind.SOURCE);
            this.text = text;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }
    }

    /** Keeps every class file javac writes, by entry path. */
    private static final class Outputs extends ForwardingJavaFileManager<StandardJavaFileManager> {
        private final Map<String, byte[]> classes;

        Outputs(StandardJavaFileManager files, Map<String, byte[]> classes) {
            super(files);
            this.classes = classes;
        }

        @Override
        public void close() {
            // The shared file manager stays open for the next compilation.
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                FileObject sibling) {
            String path = className.replace('.', '/') + kind.extension;
            return new SimpleJavaFileObject(URI.create("mem:///out/" + path), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            classes.put(path, toByteArray());
                        }
                    };
                }
            };
        }
    }
}
