package org.pkvm4j.host.verify;

import static java.lang.constant.ConstantDescs.CD_CallSite;
import static java.lang.constant.ConstantDescs.CD_Class;
import static java.lang.constant.ConstantDescs.CD_MethodHandles_Lookup;
import static java.lang.constant.ConstantDescs.CD_MethodType;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.constant.ClassDesc;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.DynamicCallSiteDesc;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.function.Consumer;

/**
 * Class files javac never writes, built with the Class-File API: what hand-written or generated
 * bytecode could slip into an EL2 jar.
 */
final class ForgedClasses {
    private static final MethodTypeDesc RUN = MethodTypeDesc.of(CD_void);

    private ForgedClasses() {
    }

    /** An invokedynamic whose bootstrap is the class's own method. */
    static byte[] customBootstrap() {
        ClassDesc self = ClassDesc.of("fx.CustomBootstrap");
        MethodTypeDesc type = MethodTypeDesc.of(CD_CallSite, CD_MethodHandles_Lookup, CD_String, CD_MethodType);
        DirectMethodHandleDesc bsm = MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.STATIC, self, "bsm", type);
        return ClassFile.of().build(self, cb -> cb.withSuperclass(CD_Object)
                .withMethodBody("bsm", type, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> c.aconst_null().areturn())
                .withMethodBody("run", RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                        c -> c.invokedynamic(DynamicCallSiteDesc.of(bsm, "go", RUN)).return_()));
    }

    /** A dynamic constant ({@code ldc} of a condy) whose bootstrap is the class's own method. */
    static byte[] dynamicConstant() {
        ClassDesc self = ClassDesc.of("fx.DynamicConstant");
        MethodTypeDesc type = MethodTypeDesc.of(CD_Object, CD_MethodHandles_Lookup, CD_String, CD_Class);
        DirectMethodHandleDesc bsm = MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.STATIC, self, "bsm", type);
        return ClassFile.of().build(self, cb -> cb.withSuperclass(CD_Object)
                .withMethodBody("bsm", type, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> c.aconst_null().areturn())
                .withMethodBody("run", RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                        c -> c.ldc(DynamicConstantDesc.ofNamed(bsm, "x", CD_Object)).pop().return_()));
    }

    /**
     * {@code this.wait()} named through the class itself ({@code fx/OwnerWait.wait()V}): javac names
     * Object for Object's final methods, other compilers need not.
     */
    static byte[] waitThroughOwnClass() {
        ClassDesc self = ClassDesc.of("fx.OwnerWait");
        return ClassFile.of().build(self, cb -> cb.withSuperclass(ClassDesc.of("java.lang.RuntimeException"))
                .withMethodBody("run", RUN, ClassFile.ACC_PUBLIC,
                        c -> c.aload(0).invokevirtual(self, "wait", RUN).return_()));
    }

    /** An {@code ldc} of a method type. */
    static byte[] methodTypeConstant() {
        return simple("fx.MethodTypeConstant", c -> c.ldc(RUN).pop().return_());
    }

    /** A call into {@code jdk.internal.misc.Unsafe}, which javac refuses to compile against. */
    static byte[] jdkInternal() {
        ClassDesc unsafe = ClassDesc.of("jdk.internal.misc.Unsafe");
        return simple("fx.JdkInternal", c -> c.invokestatic(unsafe, "getUnsafe", MethodTypeDesc.of(unsafe)).pop().return_());
    }

    /** A class file whose this_class is {@code name}, with a static initializer that exits the JVM. */
    static byte[] decoy(String name) {
        ClassDesc system = ClassDesc.of("java.lang.System");
        return ClassFile.of().build(ClassDesc.of(name), cb -> cb.withSuperclass(CD_Object)
                .withMethodBody("<clinit>", RUN, ClassFile.ACC_STATIC,
                        c -> c.iconst_1().invokestatic(system, "exit", MethodTypeDesc.ofDescriptor("(I)V")).return_()));
    }

    /** A class {@code name} whose {@code run()} calls {@code System.exit(1)}. */
    static byte[] callsExit(String name) {
        ClassDesc system = ClassDesc.of("java.lang.System");
        return simple(name, c -> c.iconst_1().invokestatic(system, "exit", MethodTypeDesc.ofDescriptor("(I)V")).return_());
    }

    /** A class {@code name} whose {@code run()} calls static {@code owner.method type} and drops the result. */
    static byte[] callsOther(String name, String owner, String method, String type) {
        return simple(name, c -> c.invokestatic(ClassDesc.of(owner), method, MethodTypeDesc.ofDescriptor(type)).pop().return_());
    }

    /** A class that is its own superclass, calling a method it does not declare: the JVM refuses it, the checks must end. */
    static byte[] ownSuperclass() {
        ClassDesc self = ClassDesc.of("fx.Loop");
        return ClassFile.of().build(self, cb -> cb.withSuperclass(self).withInterfaceSymbols(self)
                .withMethodBody("run", RUN, ClassFile.ACC_PUBLIC,
                        c -> c.aload(0).invokevirtual(self, "missing", RUN).aload(0)
                                .getfield(self, "missing", CD_Object).pop().return_()));
    }

    /** A class that is not a class file at all. */
    static byte[] garbage() {
        return new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 69, 1, 2, 3};
    }

    private static byte[] simple(String name, Consumer<CodeBuilder> run) {
        return ClassFile.of().build(ClassDesc.of(name), cb -> cb.withSuperclass(CD_Object)
                .withMethodBody("run", RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, run));
    }
}
