package org.pkvm4j.testkit;

import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.ModuleAttribute;
import java.lang.classfile.attribute.ModulePackagesAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.constant.ModuleDesc;
import java.lang.constant.PackageDesc;
import java.lang.reflect.AccessFlag;
import java.util.Arrays;
import java.util.List;

/**
 * Class files made by hand with the JDK's Class-File API, for module files no compiler would
 * write: a class whose {@code this_class} is a JDK class, a descriptor naming a reserved module, a
 * class file of the wrong version, truncated or two bytes long.
 */
public final class ClassFiles {
    private ClassFiles() {
    }

    /**
     * A small public class named {@code binaryName} ({@code java.lang.System}, ...) with one public
     * static method {@code exit(int)} that returns: the decoy an attacker stores under an unrelated
     * entry path so that a checker resolving names by {@code this_class} believes the JDK class is
     * the module's own.
     */
    public static byte[] decoy(String binaryName) {
        return ClassFile.of().build(ClassDesc.of(binaryName), cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL, AccessFlag.SUPER)
                .withMethodBody("exit", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_int),
                        ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> code.return_()));
    }

    /** An empty public class named {@code binaryName}: e.g. one in a package the module does not declare. */
    public static byte[] emptyClass(String binaryName) {
        return ClassFile.of().build(ClassDesc.of(binaryName), cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL, AccessFlag.SUPER));
    }

    /** {@code classBytes} with its {@code this_class} renamed to {@code binaryName}, everything else kept. */
    public static byte[] renamed(byte[] classBytes, String binaryName) {
        ClassFile cf = ClassFile.of();
        return cf.build(ClassDesc.of(binaryName), cb -> cf.parse(classBytes).forEach(cb::with));
    }

    /** {@code classBytes} with its major version set to {@code major} (69 is Java 25; 70 is newer than this JDK). */
    public static byte[] withMajorVersion(byte[] classBytes, int major) {
        byte[] copy = classBytes.clone();
        copy[6] = (byte) (major >>> 8);
        copy[7] = (byte) major;
        return copy;
    }

    /** The first {@code length} bytes of {@code classBytes}: a class file cut short. */
    public static byte[] truncated(byte[] classBytes, int length) {
        return Arrays.copyOf(classBytes, length);
    }

    /** A two-byte "class file": the start of the magic number and nothing else. */
    public static byte[] twoBytes() {
        return new byte[] {(byte) 0xCA, (byte) 0xFE};
    }

    /**
     * A {@code module-info.class} for module {@code name} that requires {@code java.base} and
     * {@code requires}, and holds {@code packages}; nothing else. For names {@code javac} would
     * not compile, as {@code java.sql} or {@code org.pkvm4j.host} for a vendor module.
     */
    public static byte[] moduleInfo(String name, List<String> requires, List<String> packages) {
        return ClassFile.of().buildModule(ModuleAttribute.of(ModuleDesc.of(name), mb -> {
            mb.requires(ModuleDesc.of("java.base"), ClassFile.ACC_MANDATED, null);
            requires.forEach(r -> mb.requires(ModuleDesc.of(r), 0, null));
        }), cb -> cb.with(ModulePackagesAttribute.ofNames(packages.stream().map(PackageDesc::of).toList())));
    }
}
