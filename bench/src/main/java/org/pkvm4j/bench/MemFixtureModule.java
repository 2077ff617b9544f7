package org.pkvm4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.testkit.ModuleFileBuilder;

/**
 * Writes the memory benchmark's vendor module {@value #NAME} into an initramfs directory.
 *
 * <p>{@code __pkvm_host_donate_hyp} and {@code __pkvm_hyp_donate_host} are EL2-internal: the host
 * has no hypercall for them. A vendor module reaches them through {@code ModuleOps.hostDonateHyp}
 * and {@code hypDonateHost}, so the benchmark does what such a module does: its EL2 part exposes
 * them behind one HVC handler, x1 = {@link #OP_DONATE} or {@link #OP_RECLAIM}, x2 = first pfn, x3 =
 * number of pages; x1 out = 0 or the negative errno. Built like {@link FixtureModules}' modules, by
 * the test kit's {@link ModuleFileBuilder}: a complete module file compiled against the module API jar.
 */
public final class MemFixtureModule {
    /** The module name (initramfs file {@code membench.jar}). */
    public static final String NAME = "membench";
    /** x1: {@code host_donate_hyp(x2, x3)}. */
    public static final long OP_DONATE = 1;
    /** x1: {@code hyp_donate_host(x2, x3)}. */
    public static final long OP_RECLAIM = 2;

    private static final String EL1 = "bench.mem";
    private static final String HYP = EL1 + ".hyp";

    private MemFixtureModule() {
    }

    /** Compiles and writes {@code membench.jar} into {@code initramfs}. */
    public static void write(Path initramfs, Path apiJar) throws IOException {
        Files.createDirectories(initramfs);
        ModuleFileBuilder.module(NAME).api(apiJar)
                .modinfo("version", "0.1.0-SNAPSHOT")
                .modinfo("description", "pkvm4j memory benchmark module: host_donate_hyp/hyp_donate_host behind one HVC")
                .modinfo("license", "Apache-2.0").modinfo("author", "pkvm4j benchmarks").modinfo("depends", "")
                .hypSource("module-info.java", """
                    module %s {
                        requires org.pkvm4j.api;
                    }
                    """.formatted(HYP))
                .hypSource(HYP.replace('.', '/') + "/MemBenchHyp.java", """
                    package %s;

                    import org.pkvm4j.api.PkvmException;
                    import org.pkvm4j.api.Smccc;
                    import org.pkvm4j.api.UserPtRegs;
                    import org.pkvm4j.api.el2.El2Symbol;
                    import org.pkvm4j.api.el2.ModuleOps;

                    public final class MemBenchHyp {
                        private static ModuleOps ops;

                        private MemBenchHyp() {
                        }

                        @El2Symbol("membench_init")
                        public static void init(ModuleOps moduleOps) {
                            ops = moduleOps;
                        }

                        @El2Symbol("membench_hvc")
                        public static void hvc(UserPtRegs regs) {
                            long op = regs.get(1);
                            long pfn = regs.get(2);
                            long nr = regs.get(3);
                            long result = 0;
                            try {
                                if (op == %dL) {
                                    ops.hostDonateHyp(pfn, nr);
                                } else if (op == %dL) {
                                    ops.hypDonateHost(pfn, nr);
                                } else {
                                    result = -22;
                                }
                            } catch (PkvmException e) {
                                result = e.errno().negated();
                            }
                            regs.set(1, result);
                            regs.set(0, Smccc.RET_SUCCESS);
                        }
                    }
                    """.formatted(HYP, OP_DONATE, OP_RECLAIM))
                .el1Source("module-info.java", """
                    module %s {
                        requires org.pkvm4j.api;

                        provides org.pkvm4j.api.el1.KernelModule with %s.MemBench;
                    }
                    """.formatted(EL1, EL1))
                .el1Source(EL1.replace('.', '/') + "/MemBench.java", """
                    package %s;

                    import org.pkvm4j.api.el1.El2ModuleToken;
                    import org.pkvm4j.api.el1.KernelModule;
                    import org.pkvm4j.api.el1.ModuleContext;

                    public final class MemBench implements KernelModule {
                        public MemBench() {
                        }

                        @Override
                        public void init(ModuleContext ctx) {
                            El2ModuleToken token = ctx.pkvm().loadEl2Module("membench_init");
                            ctx.pkvm().registerEl2ModCall("membench_hvc", token);
                        }
                    }
                    """.formatted(EL1))
                .writeTo(initramfs);
    }
}
