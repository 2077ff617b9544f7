package org.pkvm4j.host.preempt;

import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_Throwable;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;

/**
 * The class the EL2 loader generates in one package of each EL2 module: its preemption flag and the
 * poll every preemption point calls.
 *
 * <pre>{@code
 * public final class $pkvm_preempt {
 *     private static volatile boolean stop;            // set by the hypervisor, nobody else
 *     private $pkvm_preempt() { }
 *     public static void poll() { if (stop) throw new $pkvm_preempt$Stop(); }
 * }
 * public final class $pkvm_preempt$Stop extends Error {
 *     $pkvm_preempt$Stop() { super("EL2 code stopped: the machine hyp-panicked", null, false, false); }
 * }
 * }</pre>
 *
 * <p>Two classes, not one: C2 does not inline a method of a {@code Throwable} subclass into code
 * that is not itself an exception's ("exception method"), and the poll must be inlined to cost a
 * load and a branch.
 *
 * <p>The flag is private: the module's code can call {@code poll()} (a no-op while the machine
 * runs) but cannot clear it. The hypervisor sets it through the layer's {@code addOpens}, as it links
 * symbols. The throwable has no stack trace and no suppression, so a stop allocates one small object
 * per unwinding frame that polls, and carries no vendor state.
 */
public final class PreemptFlagClass {
    /** The simple name; the EL2 image names the class to the hypervisor ({@code El2Image.stopFlag}). */
    public static final String SIMPLE_NAME = "$pkvm_preempt";
    /** The flag field (the hypervisor's {@code SymbolLinker.PREEMPT_FLAG}). */
    public static final String FLAG = "stop";
    /** The poll method: {@code public static void poll()}. */
    public static final String POLL = "poll";
    /** The simple name of the throwable a poll throws once the flag is set. */
    public static final String STOP_SIMPLE_NAME = SIMPLE_NAME + "$Stop";
    /** The message of the throwable a poll throws once the flag is set. */
    public static final String MESSAGE = "EL2 code stopped: the machine hyp-panicked";

    private static final ClassDesc CD_ERROR = ClassDesc.of("java.lang.Error");

    private PreemptFlagClass() {
    }

    /** The binary name of the flag class in package {@code pkg}. */
    public static String binaryName(String pkg) {
        return pkg + "." + SIMPLE_NAME;
    }

    /** The binary name of the stop throwable in package {@code pkg}. */
    public static String stopBinaryName(String pkg) {
        return pkg + "." + STOP_SIMPLE_NAME;
    }

    /** The class file of the flag class in package {@code pkg}. */
    public static byte[] bytes(String pkg) {
        ClassDesc self = ClassDesc.of(binaryName(pkg));
        ClassDesc stop = ClassDesc.of(stopBinaryName(pkg));
        return ClassFile.of().build(self, cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL, AccessFlag.SUPER, AccessFlag.SYNTHETIC)
                .withField(FLAG, CD_boolean, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC | ClassFile.ACC_VOLATILE)
                .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PRIVATE, code -> code
                        .aload(0)
                        .invokespecial(ConstantDescs.CD_Object, INIT_NAME, MTD_void)
                        .return_())
                .withMethodBody(POLL, MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                    var running = code.newLabel();
                    code.getstatic(self, FLAG, CD_boolean)
                            .ifeq(running)
                            .new_(stop)
                            .dup()
                            .invokespecial(stop, INIT_NAME, MTD_void)
                            .athrow()
                            .labelBinding(running)
                            .return_();
                }));
    }

    /** The class file of the stop throwable in package {@code pkg}: no stack trace, no suppression. */
    public static byte[] stopBytes(String pkg) {
        ClassDesc stop = ClassDesc.of(stopBinaryName(pkg));
        MethodTypeDesc errorInit = MethodTypeDesc.of(CD_void, CD_String, CD_Throwable, CD_boolean, CD_boolean);
        return ClassFile.of().build(stop, cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL, AccessFlag.SUPER, AccessFlag.SYNTHETIC)
                .withSuperclass(CD_ERROR)
                .withMethodBody(INIT_NAME, MTD_void, 0, code -> code
                        .aload(0)
                        .ldc(MESSAGE)
                        .aconst_null()
                        .iconst_0()
                        .iconst_0()
                        .invokespecial(CD_ERROR, INIT_NAME, errorInit)
                        .return_()));
    }
}
