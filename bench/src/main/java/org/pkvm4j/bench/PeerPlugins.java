package org.pkvm4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.pf4j.ExtensionPoint;

/**
 * Writes the peers of the benchmark modules ({@link FixtureModules}): {@code count} trivial PF4J
 * plugins, and {@code count} modular jars for one raw {@link ModuleLayer} each. Every plugin has its
 * own handler class with the body of the benchmark modules' EL2 handler ({@code x1 + 1}), so
 * {@code count} plugins give a call site {@code count} distinct targets, as {@code count} modules
 * give the hypervisor's dispatch.
 *
 * <ul>
 *   <li>PF4J: {@code p<i>.jar} with {@code Plugin-Id: p<i>}, {@code Plugin-Version}, {@code
 *       Plugin-Class} (an empty {@code org.pf4j.Plugin}) in its manifest, and one {@code @Extension}
 *       of {@link PluginHandler} named in {@code META-INF/extensions.idx} (what PF4J's annotation
 *       processor writes);</li>
 *   <li>raw layers: {@code r<i>.jar}, module {@code raw.r<i>}, which {@code provides
 *       java.util.function.LongUnaryOperator} with its handler: a layer needs no host module to
 *       name its service.</li>
 *   <li>raw, two layers per plugin, pkvm4j's shape without its checks: {@code r<i>.jar} (module
 *       {@code el1.r<i>}, an EL1-like part whose service stands for its init) and {@code
 *       r<i>-hyp.jar} (module {@code hyp.r<i>}, the EL2-like part with the handler), each a
 *       {@code LongUnaryOperator} provider.</li>
 * </ul>
 * All sources of one kind compile in one {@code javac} run.
 */
public final class PeerPlugins {
    private PeerPlugins() {
    }

    /** The PF4J plugin id of plugin {@code i}. */
    public static String pluginId(int i) {
        return "p" + i;
    }

    /** The JPMS module name of raw-layer plugin {@code i}. */
    public static String rawModule(int i) {
        return "raw.r" + i;
    }

    /** Compiles and writes {@code count} PF4J plugin jars into {@code dir}. */
    public static void writePf4j(Path dir, int count) throws IOException {
        Path work = Files.createTempDirectory("pkvm4j-pf4j-src");
        try {
            Path src = work.resolve("src");
            List<Path> sources = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String pkg = "pf4j.p" + i;
                sources.add(write(src.resolve("pf4j/p" + i + "/P" + i + "Plugin.java"), """
                        package %s;

                        public class P%dPlugin extends org.pf4j.Plugin {
                            public P%dPlugin() {
                            }
                        }
                        """.formatted(pkg, i, i)));
                sources.add(write(src.resolve("pf4j/p" + i + "/P" + i + "Handler.java"), """
                        package %s;

                        @org.pf4j.Extension
                        public class P%dHandler implements org.pkvm4j.bench.PluginHandler {
                            public P%dHandler() {
                            }

                            @Override
                            public long handle(long x1) {
                                return x1 + 1;
                            }
                        }
                        """.formatted(pkg, i, i)));
            }
            Path classes = work.resolve("classes");
            String classPath = jarOf(ExtensionPoint.class) + java.io.File.pathSeparator + jarOf(PluginHandler.class);
            List<String> args = new ArrayList<>(List.of("-proc:none", "-nowarn", "-d", classes.toString(), "-cp", classPath));
            javac(args, sources);
            Files.createDirectories(dir);
            for (int i = 0; i < count; i++) {
                Manifest mf = manifest();
                mf.getMainAttributes().putValue("Plugin-Id", pluginId(i));
                mf.getMainAttributes().putValue("Plugin-Version", "0.1.0");
                mf.getMainAttributes().putValue("Plugin-Class", "pf4j.p" + i + ".P" + i + "Plugin");
                Path pkgDir = classes.resolve("pf4j/p" + i);
                try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve(pluginId(i) + ".jar")), mf)) {
                    put(jar, "META-INF/extensions.idx", ("pf4j.p" + i + ".P" + i + "Handler\n").getBytes(StandardCharsets.UTF_8));
                    putDir(jar, classes, pkgDir);
                }
            }
        } finally {
            FixtureModules.deleteTree(work);
        }
    }

    /** Compiles and writes {@code count} modular jars {@code r<i>.jar} into {@code dir}. */
    public static void writeRaw(Path dir, int count) throws IOException {
        List<ModularJar> jars = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            jars.add(new ModularJar("r" + i + ".jar", rawModule(i), "raw.r" + i, "R" + i + "Handler"));
        }
        writeModularJars(dir, jars);
    }

    /** The JPMS module names of two-layer plugin {@code i}: its EL1-like part, then its EL2-like part. */
    public static List<String> twoLayerModules(int i) {
        return List.of("el1.r" + i, "hyp.r" + i);
    }

    /** The jar file names of two-layer plugin {@code i}: its EL1-like part, then its EL2-like part. */
    public static List<String> twoLayerJars(int i) {
        return List.of("r" + i + ".jar", "r" + i + "-hyp.jar");
    }

    /** Compiles and writes {@code count} two-layer plugins ({@link #twoLayerJars}) into {@code dir}. */
    public static void writeTwoLayers(Path dir, int count) throws IOException {
        List<ModularJar> jars = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            for (int part = 0; part < 2; part++) {
                String module = twoLayerModules(i).get(part);
                jars.add(new ModularJar(twoLayerJars(i).get(part), module, module, part == 0 ? "Init" : "Handler"));
            }
        }
        writeModularJars(dir, jars);
    }

    /** A modular jar of one class, {@code pkg.cls}, which its module provides as a {@code LongUnaryOperator}. */
    private record ModularJar(String jar, String module, String pkg, String cls) {
    }

    /** Compiles {@code jars} in one {@code javac} run and writes each into {@code dir}. */
    private static void writeModularJars(Path dir, List<ModularJar> jars) throws IOException {
        Path work = Files.createTempDirectory("pkvm4j-raw-src");
        try {
            Path src = work.resolve("src");
            List<Path> sources = new ArrayList<>();
            for (ModularJar j : jars) {
                Path m = src.resolve(j.module());
                sources.add(write(m.resolve("module-info.java"), """
                        module %s {
                            provides java.util.function.LongUnaryOperator with %s.%s;
                        }
                        """.formatted(j.module(), j.pkg(), j.cls())));
                sources.add(write(m.resolve(j.pkg().replace('.', '/')).resolve(j.cls() + ".java"), """
                        package %s;

                        public final class %s implements java.util.function.LongUnaryOperator {
                            public %s() {
                            }

                            @Override
                            public long applyAsLong(long x1) {
                                return x1 + 1;
                            }
                        }
                        """.formatted(j.pkg(), j.cls(), j.cls())));
            }
            Path classes = work.resolve("classes");
            javac(new ArrayList<>(List.of("-proc:none", "-nowarn", "-d", classes.toString(), "--module-source-path",
                    src.toString())), sources);
            Files.createDirectories(dir);
            for (ModularJar j : jars) {
                Path moduleClasses = classes.resolve(j.module());
                try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(dir.resolve(j.jar())), manifest())) {
                    putDir(jar, moduleClasses, moduleClasses);
                }
            }
        } finally {
            FixtureModules.deleteTree(work);
        }
    }

    private static void javac(List<String> args, List<Path> sources) {
        sources.forEach(s -> args.add(s.toString()));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("javac failed (" + rc + ") on the peer plugins");
        }
    }

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private static Manifest manifest() {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        return mf;
    }

    private static void putDir(JarOutputStream jar, Path root, Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            put(jar, root.relativize(f).toString().replace(java.io.File.separatorChar, '/'), Files.readAllBytes(f));
        }
    }

    private static void put(JarOutputStream jar, String name, byte[] data) throws IOException {
        jar.putNextEntry(new JarEntry(name));
        jar.write(data);
        jar.closeEntry();
    }

    private static String jarOf(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
