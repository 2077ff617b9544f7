package org.pkvm4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.pkvm4j.testkit.ModuleFileBuilder;

/**
 * Writes the benchmark's vendor modules {@code bench0..bench<n-1>} into an initramfs directory.
 *
 * <p>Each is a complete module file, as vendor-modules/pkvm-driver builds one: the EL1 modular jar
 * {@code bench.m<i>} (a {@code KernelModule} that loads its EL2 part and registers one handler),
 * holding {@code META-INF/pkvm/modinfo.properties} and the EL2 modular jar {@code bench.m<i>.hyp}
 * as {@code META-INF/pkvm/hyp.jar}. Every module has its own handler class with the same body, so
 * eight modules give the hypervisor's dispatch eight distinct targets, as a real trap table does.
 * The test kit's {@link ModuleFileBuilder} compiles them against the module API jar, in one javac
 * run, and packs them.
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
        List<ModuleFileBuilder> modules = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            modules.add(module(i, apiJar));
        }
        // One javac run for all of them.
        ModuleFileBuilder.compileAll(modules);
        Files.createDirectories(initramfs);
        for (ModuleFileBuilder module : modules) {
            module.writeTo(initramfs);
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

    private static ModuleFileBuilder module(int i, Path apiJar) {
        String el1 = el1Module(i);
        String hyp = el1 + ".hyp";
        String hypClass = "Bench" + i + "Hyp";
        String el1Class = "Bench" + i;
        return ModuleFileBuilder.module(moduleName(i)).api(apiJar)
                .modinfo("version", "0.1.0-SNAPSHOT")
                .modinfo("description", "pkvm4j benchmark module " + i + ": one trivial EL2 handler")
                .modinfo("license", "Apache-2.0").modinfo("author", "pkvm4j benchmarks").modinfo("depends", "")
                .hypSource("module-info.java", """
                module %s {
                    requires org.pkvm4j.api;
                }
                """.formatted(hyp))
                .hypSource(hyp.replace('.', '/') + "/" + hypClass + ".java", """
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
                """.formatted(hyp, hypClass, i))
                .el1Source("module-info.java", """
                module %s {
                    requires org.pkvm4j.api;

                    provides org.pkvm4j.api.el1.KernelModule with %s.%s;
                }
                """.formatted(el1, el1, el1Class))
                .el1Source(el1.replace('.', '/') + "/" + el1Class + ".java", """
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
                """.formatted(el1, el1Class, i));
    }
}
