package org.pkvm4j.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Writes the benchmark's vendor modules {@code bench0..bench<n-1>} into an initramfs directory.
 *
 * <p>Each is a complete module file, as vendor-modules/pkvm-driver builds one: the EL1 modular jar
 * {@code bench.m<i>} (a {@code KernelModule} that loads its EL2 part and registers one handler),
 * holding {@code META-INF/pkvm/modinfo.properties} and the EL2 modular jar {@code bench.m<i>.hyp}
 * as {@code META-INF/pkvm/hyp.jar}. Every module has its own handler class with the same body, so
 * eight modules give the hypervisor's dispatch eight distinct targets, as a real trap table does.
 * The sources are compiled with javax.tools against the module API jar, in one javac run.
 */
public final class FixtureModules {
    /** The EL2 handler symbol of module {@code i}. */
    public static String hvcSymbol(int i) {
        return "bench" + i + "_hvc";
    }

    /** The module name (modinfo {@code name=}, initramfs file {@code <name>.jar}) of module {@code i}. */
    public static String moduleName(int i) {
        return "bench" + i;
    }

    private FixtureModules() {
    }

    /**
     * Compiles and writes {@code count} module files into {@code initramfs}.
     *
     * @param apiJar the {@code org.pkvm4j.api} jar the modules compile against
     */
    public static void write(Path initramfs, Path apiJar, int count) throws IOException {
        Path work = Files.createTempDirectory("pkvm4j-bench-src");
        try {
            Path src = work.resolve("src");
            Path out = work.resolve("classes");
            List<Path> sources = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sources.addAll(writeSources(src, i));
            }
            compile(src, out, apiJar, sources);
            Files.createDirectories(initramfs);
            for (int i = 0; i < count; i++) {
                byte[] hyp = jar(out.resolve(el1Module(i) + ".hyp"), List.of());
                byte[] modinfo = ("name=" + moduleName(i) + "\nversion=0.1.0-SNAPSHOT\n"
                        + "description=pkvm4j benchmark module " + i + ": one trivial EL2 handler\n"
                        + "license=Apache-2.0\nauthor=pkvm4j benchmarks\ndepends=\n").getBytes(StandardCharsets.UTF_8);
                byte[] el1 = jar(out.resolve(el1Module(i)), List.of(
                        new Extra("META-INF/pkvm/modinfo.properties", modinfo),
                        new Extra("META-INF/pkvm/hyp.jar", hyp)));
                Files.write(initramfs.resolve(moduleName(i) + ".jar"), el1);
            }
        } finally {
            deleteTree(work);
        }
    }

    /** Deletes a directory tree, best effort. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp directory left behind is harmless
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }

    private static String el1Module(int i) {
        return "bench.m" + i;
    }

    private static List<Path> writeSources(Path src, int i) throws IOException {
        String el1 = el1Module(i);
        String hyp = el1 + ".hyp";
        String hypClass = "Bench" + i + "Hyp";
        String el1Class = "Bench" + i;
        List<Path> files = new ArrayList<>();
        files.add(source(src.resolve(hyp).resolve("module-info.java"), """
                module %s {
                    requires org.pkvm4j.api;
                }
                """.formatted(hyp)));
        files.add(source(src.resolve(hyp).resolve(hyp.replace('.', '/')).resolve(hypClass + ".java"), """
                package %1$s;

                import org.pkvm4j.api.Smccc;
                import org.pkvm4j.api.UserPtRegs;
                import org.pkvm4j.api.el2.El2Symbol;
                import org.pkvm4j.api.el2.ModuleOps;

                public final class %2$s {
                    private %2$s() {
                    }

                    @El2Symbol("bench%3$d_init")
                    public static void init(ModuleOps ops) {
                    }

                    @El2Symbol("bench%3$d_hvc")
                    public static void hvc(UserPtRegs regs) {
                        regs.set(0, Smccc.RET_SUCCESS);
                        regs.set(1, regs.get(1) + 1);
                    }
                }
                """.formatted(hyp, hypClass, i)));
        files.add(source(src.resolve(el1).resolve("module-info.java"), """
                module %s {
                    requires org.pkvm4j.api;

                    provides org.pkvm4j.api.el1.KernelModule with %s.%s;
                }
                """.formatted(el1, el1, el1Class)));
        files.add(source(src.resolve(el1).resolve(el1.replace('.', '/')).resolve(el1Class + ".java"), """
                package %1$s;

                import org.pkvm4j.api.el1.El2ModuleToken;
                import org.pkvm4j.api.el1.KernelModule;
                import org.pkvm4j.api.el1.ModuleContext;
                import org.pkvm4j.api.el1.Pkvm;

                public final class %2$s implements KernelModule {
                    public %2$s() {
                    }

                    @Override
                    public void init(ModuleContext ctx) {
                        Pkvm pkvm = ctx.pkvm();
                        El2ModuleToken token = pkvm.loadEl2Module("bench%3$d_init");
                        pkvm.registerEl2ModCall("bench%3$d_hvc", token);
                    }
                }
                """.formatted(el1, el1Class, i)));
        return files;
    }

    static Path source(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    static void compile(Path src, Path out, Path apiJar, List<Path> sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: run the benchmarks on a JDK, not a JRE");
        }
        Files.createDirectories(out);
        List<String> args = new ArrayList<>(List.of(
                "--release", Integer.toString(Runtime.version().feature()),
                "-proc:none", "-nowarn",
                "--module-source-path", src.toString(),
                "--module-path", apiJar.toString(),
                "-d", out.toString()));
        sources.forEach(s -> args.add(s.toString()));
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, OutputStream.nullOutputStream(), diagnostics, args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("javac failed (" + rc + ") on the benchmark modules:\n"
                    + diagnostics.toString(StandardCharsets.UTF_8));
        }
    }

    record Extra(String name, byte[] bytes) {
    }

    static byte[] jar(Path classes, List<Extra> extras) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest); Stream<Path> walk = Files.walk(classes)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(file));
                jar.closeEntry();
            }
            for (Extra extra : extras) {
                jar.putNextEntry(new JarEntry(extra.name()));
                jar.write(extra.bytes());
                jar.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
