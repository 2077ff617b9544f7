package org.pkvm4j.hypervisor.module;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_void;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.lang.reflect.AccessFlag;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.Machine;

/**
 * Builds {@link El2Image}s whose init runs test code: a JPMS module of one generated class whose
 * static {@code init(ModuleOps)} hands the ops it receives to a {@code Consumer<ModuleOps>} the test
 * left in the system properties under the module's name (the generated module can read java.base
 * only, and the tests' package is not exported to it).
 */
final class InitImages {
    private InitImages() {
    }

    /**
     * Places image {@code name} (its init runs {@code init}) in {@code machine}'s module RAM and
     * initializes it on CPU0, as {@code __pkvm_init_module} does.
     *
     * @return the init's result (0 or -errno) and the module's token
     */
    static long[] load(Machine machine, El2Modules modules, String name, Consumer<ModuleOps> init) {
        El2Image image = image(name, init);
        long pa = machine.moduleRam().place(image);
        long token = modules.allocModuleVa(image.nrPages());
        Cpu cpu = machine.getCpu(0);
        try {
            return new long[] {modules.initModule(cpu, pa, token, token), token};
        } finally {
            machine.putCpu(cpu);
        }
    }

    /** A one-page image {@code name} whose init symbol (at offset 0) runs {@code init}. */
    static El2Image image(String name, Consumer<ModuleOps> init) {
        String pkg = "test.el2." + name;
        String className = pkg + ".Init";
        System.getProperties().put(pkg, init);
        byte[] bytes = ClassFile.of().build(ClassDesc.of(className), cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL)
                .withSuperclass(CD_Object)
                .withMethodBody("init", MethodTypeDesc.of(CD_void, ClassDesc.of(ModuleOps.class.getName())),
                        ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> code
                                .invokestatic(ClassDesc.of("java.lang.System"), "getProperties",
                                        MethodTypeDesc.of(ClassDesc.of("java.util.Properties")))
                                .ldc(pkg)
                                .invokevirtual(ClassDesc.of("java.util.Properties"), "get", MethodTypeDesc.of(CD_Object, CD_Object))
                                .checkcast(ClassDesc.of("java.util.function.Consumer"))
                                .aload(0)
                                .invokeinterface(ClassDesc.of("java.util.function.Consumer"), "accept",
                                        MethodTypeDesc.of(CD_void, CD_Object))
                                .return_()));
        String resource = className.replace('.', '/') + ".class";
        ModuleDescriptor descriptor = ModuleDescriptor.newModule(pkg).requires("org.pkvm4j.api").packages(Set.of(pkg)).build();
        ModuleReference ref = new ModuleReference(descriptor, URI.create("memory:///" + pkg)) {
            @Override
            public ModuleReader open() {
                return new ModuleReader() {
                    @Override
                    public Optional<URI> find(String r) {
                        return r.equals(resource) ? Optional.of(URI.create("memory:///" + r)) : Optional.empty();
                    }

                    @Override
                    public Optional<InputStream> open(String r) {
                        return r.equals(resource) ? Optional.of(new ByteArrayInputStream(bytes)) : Optional.empty();
                    }

                    @Override
                    public Stream<String> list() {
                        return Stream.of(resource);
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        ModuleFinder finder = new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String n) {
                return n.equals(pkg) ? Optional.of(ref) : Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Set.of(ref);
            }
        };
        ModuleLayer parent = ModuleLayer.boot();
        Configuration cf = parent.configuration().resolve(finder, ModuleFinder.of(), Set.of(pkg));
        ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(parent),
                ClassLoader.getPlatformClassLoader());
        Module module = controller.layer().findModule(pkg).orElseThrow();
        return new El2Image(name, module, controller,
                List.of(new El2Image.Symbol(name + "_init", 0, El2Image.Kind.INIT, className, "init")), 1);
    }

    /** Forgets the init left for {@code name}. */
    static void clear(String name) {
        System.getProperties().remove("test.el2." + name);
    }

}
