package org.pkvm4j.host.loader;

import java.lang.classfile.ClassBuilder;
import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.module.ModuleDescriptor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.pkvm4j.host.initramfs.JarImage;

/** Class files and jars built in memory with the Class-File API, as an attacker assembles them. */
final class TestClasses {
    private TestClasses() {
    }

    /** An empty public class {@code binaryName} extending Object. */
    static byte[] type(String binaryName) {
        return type(binaryName, cb -> { });
    }

    /** A public class {@code binaryName} extending Object, with what {@code body} adds. */
    static byte[] type(String binaryName, Consumer<ClassBuilder> body) {
        return ClassFile.of().build(ClassDesc.of(binaryName), cb -> {
            cb.withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_SUPER).withSuperclass(ConstantDescs.CD_Object);
            body.accept(cb);
        });
    }

    /** A class whose static initializer loads the class constant {@code referenced} ({@code ldc}). */
    static byte[] referencingInInit(String binaryName, String referenced) {
        return type(binaryName, cb -> cb.withMethodBody(ConstantDescs.CLASS_INIT_NAME, ConstantDescs.MTD_void,
                ClassFile.ACC_STATIC, code -> code.ldc(ClassDesc.of(referenced)).pop().return_()));
    }

    /** A class file of {@code binaryName} with version {@code major}. */
    static byte[] version(String binaryName, int major) {
        return type(binaryName, cb -> cb.withVersion(major, 0));
    }

    /** A descriptor of module {@code name} with exactly {@code packages}. */
    static ModuleDescriptor descriptor(String name, String... packages) {
        return ModuleDescriptor.newModule(name).packages(Set.of(packages)).build();
    }

    /** A jar image of {@code entries} (name, bytes, name, bytes...). */
    static JarImage jar(Object... entries) {
        Map<String, byte[]> map = new LinkedHashMap<>();
        for (int i = 0; i < entries.length; i += 2) {
            map.put((String) entries[i], (byte[]) entries[i + 1]);
        }
        return JarImage.of("t.jar", map);
    }
}
