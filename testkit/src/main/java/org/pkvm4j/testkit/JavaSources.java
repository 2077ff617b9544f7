package org.pkvm4j.testkit;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
    private JavaSources() {
    }

    /**
     * Compiles {@code sources} (path relative to the source root, to text) against {@code modulePath}.
     *
     * @return the class files by entry path ({@code a/b/C.class}, {@code module-info.class}), sorted
     * @throws IllegalStateException with javac's messages if they do not compile
     */
    static Map<String, byte[]> compile(String label, Map<String, String> sources, List<Path> modulePath) {
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
        try (StandardJavaFileManager standard = javac.getStandardFileManager(null, null, null);
                JavaFileManager files = new Outputs(standard, classes)) {
            if (!javac.getTask(errors, files, null, options, null, units).call()) {
                throw new IllegalStateException(label + " does not compile:\n" + errors);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return classes;
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
