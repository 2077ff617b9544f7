package org.pkvm4j.host.preempt;

import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_Throwable;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
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
 *     private static volatile LongConsumer charge;     // set by the hypervisor, nobody else
 *     private $pkvm_preempt() { }
 *     public static void poll() { if (stop) throw new $pkvm_preempt$Stop(); }
 *     // before each array allocation of the module's code: charge the trap, then poll
 *     public static void arrays(long arrays, long elements, int shift) {
 *         LongConsumer c = charge;
 *         if (c != null) { c.accept(saturated(arrays * 16 + max(elements, 0) << shift)); poll(); }
 *     }
 *     public static void array(int length, int shift) { arrays(1, length, shift); }
 *     public static long dim(long product, int length) { ... }   // saturating product of lengths
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
 * <p>{@code arrays} is what the code inserted before each {@code newarray}, {@code anewarray} and
 * {@code multianewarray} calls ({@link PreemptionPoints}): it charges the array's size to the trap
 * before the array exists, so a trap over the EL2 allocation budget is a hyp panic, never an {@code
 * OutOfMemoryError} of the host's heap. Sizes are an estimate the JVM's layout does not exceed: a
 * 16-byte header per array and 4 bytes per reference (compressed oops).
 *
 * <p>The flag is private: the module's code can call {@code poll()} (a no-op while the machine
 * runs) but cannot clear it, nor replace the charge. The hypervisor sets it through the layer's {@code addOpens}, as it links
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
    /** The allocation charge (the hypervisor's {@code SymbolLinker.ALLOC_CHARGE}): a {@code LongConsumer}. */
    public static final String CHARGE = "charge";
    /** The charge method: {@code public static void arrays(long arrays, long elements, int shift)}. */
    public static final String ARRAYS = "arrays";
    /** Its type. */
    public static final MethodTypeDesc MTD_ARRAYS = MethodTypeDesc.of(CD_void, CD_long, CD_long, CD_int);
    /** The charge of one array: {@code public static void array(int length, int shift)}. */
    public static final String ARRAY = "array";
    /** Its type. */
    public static final MethodTypeDesc MTD_ARRAY = MethodTypeDesc.of(CD_void, CD_int, CD_int);
    /** The saturating product of array lengths: {@code public static long dim(long product, int length)}. */
    public static final String DIM = "dim";
    /** Its type. */
    public static final MethodTypeDesc MTD_DIM = MethodTypeDesc.of(CD_long, CD_long, CD_int);
    /** The bytes charged per array for its header. */
    public static final int ARRAY_HEADER_BYTES = 16;
    /** The simple name of the throwable a poll throws once the flag is set. */
    public static final String STOP_SIMPLE_NAME = SIMPLE_NAME + "$Stop";
    /** The message of the throwable a poll throws once the flag is set. */
    public static final String MESSAGE = "EL2 code stopped: the machine hyp-panicked";

    private static final ClassDesc CD_ERROR = ClassDesc.of("java.lang.Error");
    private static final ClassDesc CD_LONG_CONSUMER = ClassDesc.of("java.util.function.LongConsumer");

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
                .withField(CHARGE, CD_LONG_CONSUMER, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC | ClassFile.ACC_VOLATILE)
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
                })
                .withMethodBody(ARRAYS, MTD_ARRAYS, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> arrays(code, self))
                .withMethodBody(ARRAY, MTD_ARRAY, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> code
                        .lconst_1().iload(0).i2l().iload(1)
                        .invokestatic(self, ARRAYS, MTD_ARRAYS)
                        .return_())
                .withMethodBody(DIM, MTD_DIM, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, PreemptFlagClass::dim));
    }

    /**
     * {@code arrays(long arrays, long elements, int shift)}: charges {@code arrays * 16 + (elements
     * << shift)} bytes, saturating at {@code Long.MAX_VALUE}, then polls.
     */
    private static void arrays(CodeBuilder code, ClassDesc self) {
        // locals: 0-1 arrays, 2-3 elements, 4 shift, 5 charge, 6-7 bytes of the elements
        Label noCharge = code.newLabel();
        Label elementsFit = code.newLabel();
        Label headersFit = code.newLabel();
        Label saturate = code.newLabel();
        Label charge = code.newLabel();
        Label positive = code.newLabel();
        code.getstatic(self, CHARGE, CD_LONG_CONSUMER).astore(5)
                .aload(5).ifnull(noCharge)
                // elements = max(elements, 0): a negative length throws after the charge, allocating nothing
                .lload(2).lconst_0().lcmp().ifge(positive)
                .lconst_0().lstore(2)
                .labelBinding(positive)
                // bytes = elements > (MAX >> shift) ? MAX : elements << shift
                .lload(2).ldc(Long.MAX_VALUE).iload(4).lshr().lcmp().ifle(elementsFit)
                .ldc(Long.MAX_VALUE).lstore(6).goto_(headersFit)
                .labelBinding(elementsFit)
                .lload(2).iload(4).lshl().lstore(6)
                .labelBinding(headersFit)
                // arrays > MAX / 16 ? MAX : bytes + arrays * 16, MAX if that overflows
                .lload(0).ldc(Long.MAX_VALUE / ARRAY_HEADER_BYTES).lcmp().ifgt(saturate)
                .lload(6).lload(0).ldc((long) ARRAY_HEADER_BYTES).lmul().ladd().dup2().lstore(6)
                .lconst_0().lcmp().ifge(charge)
                .labelBinding(saturate)
                .ldc(Long.MAX_VALUE).lstore(6)
                .labelBinding(charge)
                .aload(5).lload(6).invokeinterface(CD_LONG_CONSUMER, "accept", MethodTypeDesc.of(CD_void, CD_long))
                .invokestatic(self, POLL, MTD_void)
                .labelBinding(noCharge)
                .return_();
    }

    /** {@code dim(long product, int length)}: {@code product * length}, 0 for a length below 1, saturating. */
    private static void dim(CodeBuilder code) {
        Label positive = code.newLabel();
        Label fits = code.newLabel();
        code.iload(2).ifgt(positive)
                .lconst_0().lreturn()
                .labelBinding(positive)
                .lload(0).ldc(Long.MAX_VALUE).iload(2).i2l().ldiv().lcmp().ifle(fits)
                .ldc(Long.MAX_VALUE).lreturn()
                .labelBinding(fits)
                .lload(0).iload(2).i2l().lmul().lreturn();
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
