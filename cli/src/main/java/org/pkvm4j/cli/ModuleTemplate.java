package org.pkvm4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files of a new vendor module project, as {@code pkvm new-module} writes them: the Android
 * page's tree ({@code el1.c}, {@code hyp/el2.c}, their build files) in Java and Maven, plus a test.
 *
 * <p>Kept as text here, not as resources, so the template is compiled with the kernel it targets;
 * {@code NewModuleIT} (in integration-tests) builds and boots what it produces, so it cannot rot.
 */
final class ModuleTemplate {
    private final String name;
    private final String folder;
    private final String vendor;
    private final String type;
    private final String version;

    /**
     * @param name the module name ({@code my_driver})
     * @param vendor the vendor, the first part of the JPMS module and package names ({@code acme})
     * @param version the pkvm4j version the project builds against
     */
    ModuleTemplate(String name, String vendor, String version) {
        this.name = name;
        this.folder = name.replace('_', '-');
        this.vendor = vendor;
        this.version = version;
        StringBuilder t = new StringBuilder();
        for (String part : name.split("_")) {
            if (!part.isEmpty()) {
                t.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        this.type = t.toString();
    }

    /** The project's folder name ({@code my-driver}). */
    String folder() {
        return folder;
    }

    /** Every file, by path relative to the project folder, in the order they are written. */
    Map<String, String> files() {
        String pkg = vendor + "/" + name;
        Map<String, String> files = new LinkedHashMap<>();
        files.put("pom.xml", fill(AGGREGATOR_POM));
        files.put("hyp/pom.xml", fill(HYP_POM));
        files.put("hyp/src/main/java/module-info.java", fill(HYP_MODULE_INFO));
        files.put("hyp/src/main/java/" + pkg + "/hyp/" + type + "Hyp.java", fill(HYP_CLASS));
        files.put("el1/pom.xml", fill(EL1_POM));
        files.put("el1/src/main/java/module-info.java", fill(EL1_MODULE_INFO));
        files.put("el1/src/main/java/" + pkg + "/" + type + ".java", fill(EL1_CLASS));
        files.put("el1/src/main/modinfo/modinfo.properties", fill(MODINFO));
        files.put("el1/src/test/java/" + pkg + "/" + type + "IT.java", fill(TEST_CLASS));
        return files;
    }

    /**
     * Every file of a project outside a checkout, by path relative to the project folder: one POM
     * (the BOM, the pkvm4j-maven-plugin), EL1 sources in {@code src/main/java} and EL2 sources in
     * {@code src/hyp/java} side by side (docs/adr/0011-vendor-project-layout.md), the test, a README.
     * The Maven wrapper is copied beside them by {@link NewModuleCommand}.
     *
     * @param groupId the vendor project's own groupId
     */
    Map<String, String> outsideFiles(String groupId) {
        String pkg = vendor + "/" + name;
        Map<String, String> files = new LinkedHashMap<>();
        files.put("pom.xml", fill(OUTSIDE_POM).replace("@GROUP@", groupId));
        files.put("src/main/java/module-info.java", fill(EL1_MODULE_INFO));
        files.put("src/main/java/" + pkg + "/" + type + ".java", fill(EL1_CLASS));
        files.put("src/hyp/java/module-info.java", fill(HYP_MODULE_INFO));
        files.put("src/hyp/java/" + pkg + "/hyp/" + type + "Hyp.java", fill(HYP_CLASS));
        files.put("src/test/java/" + pkg + "/" + type + "IT.java", fill(TEST_CLASS));
        files.put("README.md", fill(OUTSIDE_README));
        files.put(".gitignore", "target/\n");
        return files;
    }

    private String fill(String template) {
        return template.replace("@NAME@", name).replace("@FOLDER@", folder).replace("@VENDOR@", vendor)
                .replace("@TYPE@", type).replace("@VERSION@", version);
    }

    private static final String AGGREGATOR_POM = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!--
              @NAME@: a pKVM vendor module, made by ./pkvm new-module.
                hyp/  the EL2 part (hyp/el2.c): @El2Symbol init and handler
                el1/  the EL1 part (el1.c): the KernelModule; its jar is the module file, with the EL2 jar inside
              Build and test from the pkvm4j checkout: ./mvnw verify -pl vendor-modules/@FOLDER@/el1 -am
            -->
            <project xmlns="http://maven.apache.org/POM/4.0.0"
                     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                     xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
              <modelVersion>4.0.0</modelVersion>
              <parent>
                <groupId>org.pkvm4j.vendor</groupId>
                <artifactId>vendor-modules</artifactId>
                <version>@VERSION@</version>
              </parent>
              <artifactId>@FOLDER@</artifactId>
              <packaging>pom</packaging>
              <name>@NAME@</name>
              <modules>
                <module>hyp</module>
                <module>el1</module>
              </modules>
            </project>
            """;

    // The POM of a vendor's own project: about 30 lines, everything else comes from the BOM and the plugin.
    private static final String OUTSIDE_POM = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- @NAME@: a pKVM vendor module. ./mvnw verify builds the module file, checks it as modprobe would, and tests it on a device. -->
            <project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                     xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
              <modelVersion>4.0.0</modelVersion>
              <groupId>@GROUP@</groupId>
              <artifactId>@FOLDER@</artifactId>
              <version>1.0.0-SNAPSHOT</version>
              <packaging>pkvm-module</packaging>
              <description>@NAME@: a pKVM vendor module</description>
              <properties>
                <pkvm4j.version>@VERSION@</pkvm4j.version>
              </properties>
              <dependencyManagement>
                <dependencies>
                  <dependency>
                    <groupId>org.pkvm4j</groupId>
                    <artifactId>pkvm4j-bom</artifactId>
                    <version>${pkvm4j.version}</version>
                    <type>pom</type>
                    <scope>import</scope>
                  </dependency>
                </dependencies>
              </dependencyManagement>
              <dependencies>
                <dependency>
                  <groupId>org.pkvm4j</groupId>
                  <artifactId>pkvm4j-module-api</artifactId>
                  <scope>provided</scope>
                </dependency>
                <dependency>
                  <groupId>org.pkvm4j</groupId>
                  <artifactId>pkvm4j-testkit</artifactId>
                  <scope>test</scope>
                </dependency>
              </dependencies>
              <build>
                <plugins>
                  <plugin>
                    <groupId>org.pkvm4j</groupId>
                    <artifactId>pkvm4j-maven-plugin</artifactId>
                    <version>${pkvm4j.version}</version>
                    <extensions>true</extensions>
                  </plugin>
                </plugins>
              </build>
            </project>
            """;

    private static final String OUTSIDE_README = """
            # @NAME@

            A pKVM vendor module for pkvm4j @VERSION@, made by `pkvm new-module`.

            | Path | What | Kernel counterpart |
            |---|---|---|
            | `src/main/java` | the EL1 module `@VENDOR@.@NAME@`: the `KernelModule` | `el1.c` |
            | `src/hyp/java` | the EL2 module `@VENDOR@.@NAME@.hyp`: `@El2Symbol` init and handler | `hyp/el2.c` |
            | `src/test/java` | `*IT` tests, each on a fresh device booted from the module file | |
            | `pom.xml` | the `pkvm-module` packaging of `pkvm4j-maven-plugin`, versions from `pkvm4j-bom` | `Kbuild` |

            Build, check and test (needs a JDK 25, which `./mvnw` finds, and the pkvm4j artifacts in your
            Maven repository: `./mvnw install` in a pkvm4j checkout, or your company's repository):

                ./mvnw verify

            `target/@FOLDER@-1.0.0-SNAPSHOT.jar` is the module file: the EL1 jar with the EL2 jar
            (`META-INF/pkvm/hyp.jar`), `modinfo` and `modversions` inside. The build refuses it as
            `modprobe` would (descriptors, containment, ABI), and fails on an EL2 symbol name the EL2
            part does not define, naming the symbol and the source line.

            Boot it on the device archive (`pkvm4j-dist-@VERSION@.tar.gz`, unpacked anywhere):

                mkdir -p initramfs && cp target/@FOLDER@-1.0.0-SNAPSHOT.jar initramfs/@NAME@.jar
                pkvm4j-@VERSION@/bin/pkvm boot --initramfs initramfs \\
                    --cmdline "kvm-arm.mode=protected kvm-arm.protected_modules=@NAME@ nr_cpus=2 mem=256M"
            """;

    private static final String HYP_POM = """
            <?xml version="1.0" encoding="UTF-8"?>
            <project xmlns="http://maven.apache.org/POM/4.0.0"
                     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                     xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
              <modelVersion>4.0.0</modelVersion>
              <parent>
                <groupId>org.pkvm4j.vendor</groupId>
                <artifactId>@FOLDER@</artifactId>
                <version>@VERSION@</version>
              </parent>
              <artifactId>@FOLDER@-hyp</artifactId>
              <name>@NAME@ EL2 part</name>
            </project>
            """;

    private static final String EL1_POM = """
            <?xml version="1.0" encoding="UTF-8"?>
            <project xmlns="http://maven.apache.org/POM/4.0.0"
                     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                     xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
              <modelVersion>4.0.0</modelVersion>
              <parent>
                <groupId>org.pkvm4j.vendor</groupId>
                <artifactId>@FOLDER@</artifactId>
                <version>@VERSION@</version>
              </parent>
              <artifactId>@FOLDER@-el1</artifactId>
              <name>@NAME@ EL1 part and module file</name>
              <description>@NAME@: a pKVM vendor module</description>

              <properties>
                <!-- The EL2 part to embed as META-INF/pkvm/hyp.jar (vendor-modules/pom.xml does it). -->
                <pkvm.module.hyp>@FOLDER@-hyp</pkvm.module.hyp>
              </properties>

              <dependencies>
                <dependency>
                  <groupId>org.pkvm4j.vendor</groupId>
                  <artifactId>@FOLDER@-hyp</artifactId>
                  <version>${project.version}</version>
                  <scope>provided</scope>
                </dependency>
              </dependencies>

              <build>
                <plugins>
                  <!-- Embeds the EL2 jar; puts the pkvm4j runtime on the module path of the *IT tests. -->
                  <plugin>
                    <groupId>org.apache.maven.plugins</groupId>
                    <artifactId>maven-dependency-plugin</artifactId>
                  </plugin>
                  <!-- modpost (symbol CRCs) before packaging, pkvm verify on the packed module file. -->
                  <plugin>
                    <groupId>org.codehaus.mojo</groupId>
                    <artifactId>exec-maven-plugin</artifactId>
                  </plugin>
                </plugins>
              </build>
            </project>
            """;

    private static final String HYP_MODULE_INFO = """
            /** @NAME@ at EL2: it may require nothing but the module API (hyp/Makefile.module's rule). */
            module @VENDOR@.@NAME@.hyp {
                requires org.pkvm4j.api;
            }
            """;

    private static final String HYP_CLASS = """
            package @VENDOR@.@NAME@.hyp;

            import org.pkvm4j.api.Smccc;
            import org.pkvm4j.api.UserPtRegs;
            import org.pkvm4j.api.el2.El2Symbol;
            import org.pkvm4j.api.el2.ModuleOps;

            /** The EL2 code of @NAME@ ({@code hyp/el2.c}). */
            public final class @TYPE@Hyp {
                private @TYPE@Hyp() {
                }

                /** {@code int @NAME@_hyp_init(const struct pkvm_module_ops *ops)}: throw PkvmException to fail the load. */
                @El2Symbol("@NAME@_hyp_init")
                public static void init(ModuleOps ops) {
                    ops.puts("@NAME@: EL2 init");
                }

                /** {@code void @NAME@_hyp_hvc(struct user_pt_regs *regs)}: x1 = a1 + 1. */
                @El2Symbol("@NAME@_hyp_hvc")
                public static void hvc(UserPtRegs regs) {
                    // EL2 code is not preemptible: keep it short, never block.
                    long a1 = regs.get(1);
                    regs.set(0, Smccc.RET_SUCCESS);
                    regs.set(1, a1 + 1);
                }
            }
            """;

    private static final String EL1_MODULE_INFO = """
            /** @NAME@ at EL1 ({@code el1.c}): loads its EL2 part and registers its handler. */
            module @VENDOR@.@NAME@ {
                requires org.pkvm4j.api;

                provides org.pkvm4j.api.el1.KernelModule with @VENDOR@.@NAME@.@TYPE@;
            }
            """;

    private static final String EL1_CLASS = """
            package @VENDOR@.@NAME@;

            import org.pkvm4j.api.Errno;
            import org.pkvm4j.api.PkvmException;
            import org.pkvm4j.api.el1.El2ModuleToken;
            import org.pkvm4j.api.el1.HvcNumber;
            import org.pkvm4j.api.el1.KernelModule;
            import org.pkvm4j.api.el1.ModuleContext;
            import org.pkvm4j.api.el1.Pkvm;

            /** {@code module_init(@NAME@_init)}: loads the EL2 code, registers its handler, calls it once. */
            public final class @TYPE@ implements KernelModule {
                /** ServiceLoader's constructor. */
                public @TYPE@() {
                }

                @Override
                public void init(ModuleContext ctx) {
                    Pkvm pkvm = ctx.pkvm();
                    // pkvm_load_el2_module(__kvm_nvhe_@NAME@_hyp_init, &token)
                    El2ModuleToken token = pkvm.loadEl2Module("@NAME@_hyp_init");
                    // hvc_number = pkvm_register_el2_mod_call(__kvm_nvhe_@NAME@_hyp_hvc, token)
                    HvcNumber hvc = pkvm.registerEl2ModCall("@NAME@_hyp_hvc", token);
                    // pkvm_el2_mod_call(hvc_number, 41)
                    long x1 = pkvm.el2ModCall(hvc, 41);
                    if (x1 != 42) {
                        throw new PkvmException(Errno.EIO, "@NAME@_hyp_hvc answered " + x1 + ", expected 42");
                    }
                    ctx.printk("EL2 handler registered as HVC " + hvc.id() + ", answered " + x1);
                }
            }
            """;

    private static final String MODINFO = """
            name=@NAME@
            version=${project.version}
            description=${project.description}
            license=GPL-2.0-only
            author=@VENDOR@
            api.version=${pkvm.api.version}
            depends=
            kmi=${pkvm.kmi}
            """;

    private static final String TEST_CLASS = """
            package @VENDOR@.@NAME@;

            import static org.junit.jupiter.api.Assertions.assertEquals;
            import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

            import org.junit.jupiter.api.Test;
            import org.pkvm4j.host.HostKernel;
            import org.pkvm4j.testkit.Module;
            import org.pkvm4j.testkit.ModuleHvcs;
            import org.pkvm4j.testkit.PkvmBoot;

            /** Boots a protected device with the module file this build produced (-Dpkvm4j.module.file). */
            @PkvmBoot(modules = "${pkvm4j.module.file}")
            class @TYPE@IT {
                @Test
                void loadsBeforeDeprivilege(HostKernel kernel) {
                    assertThat(kernel).isProtected().hasModule("@NAME@", 1).deprivileged();
                    assertThat(kernel.log()).containsEl2LineMatching("^@NAME@: EL2 init$")
                            .containsLineMatching("@NAME@: EL2 handler registered as HVC \\\\d+, answered 42")
                            .hasNoErrorLines();
                }

                @Test
                void theHandlerAddsOne(@Module("@NAME@") ModuleHvcs hvcs) {
                    assertEquals(42, hvcs.call(0, 41));
                    assertEquals(1, hvcs.call(0, 0));
                }
            }
            """;
}
