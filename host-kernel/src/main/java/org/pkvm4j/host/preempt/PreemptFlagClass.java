package org.pkvm4j.host.preempt;

import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_Throwable;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;

/**
 * The class the EL2 loader generates in one package of each EL2 module: its preemption flag and the
 * poll every preemption point calls.
 *
 * <pre>{@code
 * public final class $pkvm_preempt extends Error {
 *     private static volatile boolean stop;            // set by the hypervisor, nobody else
 *     private $pkvm_preempt() { super("EL2 code stopped: the machine hyp-panicked", null, false, false); }
 *     public static void poll() { if (stop) throw new $pkvm_preempt(); }
 * }
 * }</pre>
 *
 * <p>The flag is private: the module's code can call {@code poll()} (a no-op while the machine
 * runs) but cannot clear it. The hypervisor sets it through the layer's {@code addOpens}, as it links
 * symbols. The throwable has no stack trace and no suppression, so a stop allocates one small object
 * per unwinding frame that polls, and carries no vendor state.
 */
public final class PreemptFlagClass {
    /** The simple name (the hypervisor's {@code SymbolLinker.PREEMPT_CLASS} names the same class). */
    public static final String SIMPLE_NAME = "$pkvm_preempt";
    /** The flag field (the hypervisor's {@code SymbolLinker.PREEMPT_FLAG}). */
    public static final String FLAG = "stop";
    /** The poll method: {@code public static void poll()}. */
    public static final String POLL = "poll";
    /** The message of the throwable a poll throws once the flag is set. */
    public static final String MESSAGE = "EL2 code stopped: the machine hyp-panicked";

    private static final ClassDesc CD_ERROR = ClassDesc.of("java.lang.Error");

    private PreemptFlagClass() {
    }

    /** The binary name of the flag class in package {@code pkg}. */
    public static String binaryName(String pkg) {
        return pkg + "." + SIMPLE_NAME;
    }

    /** The class file of the flag class in package {@code pkg}. */
    public static byte[] bytes(String pkg) {
        ClassDesc self = ClassDesc.of(binaryName(pkg));
        MethodTypeDesc errorInit = MethodTypeDesc.of(CD_void, CD_String, CD_Throwable, CD_boolean, CD_boolean);
        return ClassFile.of().build(self, cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL, AccessFlag.SUPER, AccessFlag.SYNTHETIC)
                .withSuperclass(CD_ERROR)
                .withField(FLAG, CD_boolean, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC | ClassFile.ACC_VOLATILE)
                .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PRIVATE, code -> code
                        .aload(0)
                        .ldc(MESSAGE)
                        .aconst_null()
                        .iconst_0()
                        .iconst_0()
                        .invokespecial(CD_ERROR, INIT_NAME, errorInit)
                        .return_())
                .withMethodBody(POLL, MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                    var running = code.newLabel();
                    code.getstatic(self, FLAG, CD_boolean)
                            .ifeq(running)
                            .new_(self)
                            .dup()
                            .invokespecial(self, INIT_NAME, MTD_void)
                            .athrow()
                            .labelBinding(running)
                            .return_();
                }));
    }
}
