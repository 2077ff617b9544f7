package org.pkvm4j.it.hostile;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pkvm4j.testkit.ModuleFileBuilder;

/**
 * The sources of one hostile module, written as its author would: an EL1 part that loads the EL2
 * part, registers its handler and a device {@code /dev/<name>} whose ioctl(cmd, arg) calls the
 * handler with x1 = cmd, x2 = arg and returns the handler's x1; and an EL2 class {@code Hyp} whose
 * init and handler bodies are the hostile code under test.
 *
 * <p>In the EL2 snippets: {@code ops} is the module's {@code ModuleOps}, {@code FILES} the folder
 * the case may not write to, {@code cmd}/{@code arg} the handler's x1/x2, and {@code result} what it
 * returns in x1 (1 unless the snippet sets it). {@code forever()} returns true without the compiler
 * knowing, for loops that must never end.
 */
final class HostileSource {
    private final String id;
    private String el1Module;
    private String hypModule;
    private String hypPackage;
    private String imports = "";
    private String members = "";
    private String init = "";
    private String hvc = "";
    private final Map<String, String> extraClasses = new LinkedHashMap<>();

    private HostileSource(String id) {
        this.id = id;
        this.el1Module = "corpus." + id;
        this.hypModule = "corpus." + id + ".hyp";
        this.hypPackage = "corpus." + id + ".hyp";
    }

    /** The sources of case {@code id}: EL1 module {@code corpus.<id>}, EL2 module and package {@code corpus.<id>.hyp}. */
    static HostileSource of(String id) {
        return new HostileSource(id);
    }

    /** The module name of case {@code id}: modinfo {@code name=}, its device and its initramfs file. */
    static String moduleName(String id) {
        return "h_" + id;
    }

    HostileSource imports(String... types) {
        StringBuilder b = new StringBuilder(imports);
        for (String t : types) {
            b.append("import ").append(t).append(";\n");
        }
        imports = b.toString();
        return this;
    }

    HostileSource members(String code) {
        members = members + code + "\n";
        return this;
    }

    HostileSource init(String code) {
        init = code;
        return this;
    }

    HostileSource hvc(String code) {
        hvc = code;
        return this;
    }

    /** Another top-level class in the EL2 package: {@code name} and its whole declaration. */
    HostileSource extraClass(String name, String declaration) {
        extraClasses.put(name, declaration);
        return this;
    }

    HostileSource el1Module(String name) {
        el1Module = name;
        return this;
    }

    HostileSource hypModule(String name) {
        hypModule = name;
        return this;
    }

    HostileSource hypPackage(String name) {
        hypPackage = name;
        return this;
    }

    String hypPackage() {
        return hypPackage;
    }

    /** The entry path of EL2 class {@code simpleName}. */
    String hypEntry(String simpleName) {
        return hypPackage.replace('.', '/') + "/" + simpleName + ".class";
    }

    /** A builder with these sources; {@code files} is the folder the EL2 code sees as {@code FILES}. */
    ModuleFileBuilder builder(Path files) {
        String name = moduleName(id);
        String el1Package = "corpus." + id;
        ModuleFileBuilder b = ModuleFileBuilder.module(name)
                .modinfo("description", "hostile-module corpus case " + id)
                .el1Source("module-info.java", """
                        module %s {
                            requires org.pkvm4j.api;
                            provides org.pkvm4j.api.el1.KernelModule with %s.Module;
                        }
                        """.formatted(el1Module, el1Package))
                .el1Source(el1Package.replace('.', '/') + "/Module.java", """
                        package %1$s;

                        import org.pkvm4j.api.el1.El2ModuleToken;
                        import org.pkvm4j.api.el1.HvcNumber;
                        import org.pkvm4j.api.el1.KernelModule;
                        import org.pkvm4j.api.el1.ModuleContext;

                        public final class Module implements KernelModule {
                            @Override
                            public void init(ModuleContext ctx) {
                                El2ModuleToken token = ctx.pkvm().loadEl2Module("%2$s_init");
                                HvcNumber hvc = ctx.pkvm().registerEl2ModCall("%2$s_hvc", token);
                                ctx.miscRegister("%3$s", (cmd, arg) -> ctx.pkvm().el2ModCallSmccc(hvc, cmd, arg, 0).a1());
                            }
                        }
                        """.formatted(el1Package, id, name))
                .hypSource("module-info.java", """
                        module %s {
                            requires org.pkvm4j.api;
                        }
                        """.formatted(hypModule))
                .hypSource(hypPackage.replace('.', '/') + "/Hyp.java", hypClass(files));
        extraClasses.forEach((cls, declaration) -> b.hypSource(hypPackage.replace('.', '/') + "/" + cls + ".java",
                "package " + hypPackage + ";\n\n" + header() + "\n" + declaration + "\n"));
        return b;
    }

    private String header() {
        return """
                import org.pkvm4j.api.Smccc;
                import org.pkvm4j.api.UserPtRegs;
                import org.pkvm4j.api.el2.El2Symbol;
                import org.pkvm4j.api.el2.ModuleOps;
                """ + imports;
    }

    private String hypClass(Path files) {
        return "package " + hypPackage + ";\n\n" + header() + """

                public final class Hyp {
                    static ModuleOps ops;
                    static final String FILES = "%1$s";
                %2$s
                    private Hyp() {
                    }

                    static boolean forever() {
                        return FILES != null;
                    }

                    @El2Symbol("%3$s_init")
                    public static void init(ModuleOps moduleOps) throws Exception {
                        ops = moduleOps;
                %4$s
                    }

                    @El2Symbol("%3$s_hvc")
                    public static void hvc(UserPtRegs regs) throws Exception {
                        long cmd = regs.get(1);
                        long arg = regs.get(2);
                        long result = 1;
                %5$s
                        regs.set(0, Smccc.RET_SUCCESS);
                        regs.set(1, result);
                    }
                }
                """.formatted(files.toAbsolutePath().toString().replace("\\", "\\\\"), indent(members), id, indent(init),
                indent(hvc));
    }

    private static String indent(String code) {
        return code.isBlank() ? "" : code.stripTrailing().indent(8);
    }
}
