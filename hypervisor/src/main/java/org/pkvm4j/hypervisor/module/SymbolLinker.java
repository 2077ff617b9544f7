package org.pkvm4j.hypervisor.module;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import java.lang.classfile.ClassBuilder;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.AccessFlag;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.KvmCpuContextHandler;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.UserPtRegsHandler;
import org.pkvm4j.machine.El2Image;

/**
 * Links EL2 symbols to callable code: the hypervisor's relocation step.
 *
 * <p>Kernel counterpart: the hyp relocations that turn a module's function addresses into hyp VAs
 * ({@code kvm_apply_hyp_module_relocations}). A handler symbol becomes a small class defined in the
 * vendor module's own package that implements the handler interface with a direct {@code
 * invokestatic} of the symbol: the JIT sees a plain monomorphic call it can inline, no reflection
 * and no method-handle invocation remain on the trap path. The class lives and dies with the vendor
 * module's loader.
 *
 * <p>Its callbacks (the class builder's, the stop switch) are named classes, not lambdas: every boot
 * defines this class anew in its own hyp layer, and each lambda would link its call site (spinning a
 * class) again on every boot.
 */
final class SymbolLinker {
    private final MethodHandles.Lookup hyp = MethodHandles.lookup();

    /**
     * Opens the EL2 module to the hypervisor alone: the host handed over the layer's controller
     * with the image and keeps no copy.
     */
    void grantAccess(El2Image image) {
        Module el2 = image.module();
        Module self = SymbolLinker.class.getModule();
        self.addReads(el2);
        for (String pkg : el2.getPackages()) {
            image.controller().addOpens(el2, pkg, self);
        }
    }

    /**
     * The flag's field in the class the image names ({@link El2Image#stopFlag()}): a private static
     * volatile boolean, polled by the code the host's build inserted into every EL2 class
     * (host-kernel {@code org.pkvm4j.host.preempt}, which generates it).
     */
    static final String PREEMPT_FLAG = "stop";

    /**
     * What sets {@code image}'s preemption flag, or null if its code has none. Only the class the
     * image names is looked up: never a class of the module's own choosing. Needs {@link
     * #grantAccess} first.
     */
    Runnable stopSwitch(El2Image image) throws ReflectiveOperationException {
        if (image.stopFlag().isEmpty()) {
            return null;
        }
        Module el2 = image.module();
        Class<?> flagClass = Class.forName(el2, image.stopFlag().get());
        if (flagClass == null) {
            throw new ClassNotFoundException(image.stopFlag().get() + " in " + el2.getName());
        }
        return new StopFlag(privateLookup(flagClass).findStaticVarHandle(flagClass, PREEMPT_FLAG, boolean.class));
    }

    /** Sets a module's preemption flag. */
    private record StopFlag(VarHandle flag) implements Runnable {
        @Override
        public void run() {
            flag.setVolatile(true);
        }
    }

    /**
     * The field of the same class through which the code inserted before each of the module's array
     * allocations charges the trap: a private static {@code LongConsumer} (host-kernel {@code
     * PreemptFlagClass.CHARGE}).
     */
    static final String ALLOC_CHARGE = "charge";

    /**
     * Makes {@code charge} what {@code image}'s array allocations charge, before any of its code
     * runs; nothing if its code has no preemption flag. Needs {@link #grantAccess} first.
     */
    void chargeTo(El2Image image, LongConsumer charge) throws ReflectiveOperationException {
        if (image.stopFlag().isEmpty()) {
            return;
        }
        Class<?> flagClass = Class.forName(image.module(), image.stopFlag().get());
        if (flagClass == null) {
            throw new ClassNotFoundException(image.stopFlag().get() + " in " + image.module().getName());
        }
        privateLookup(flagClass).findStaticVarHandle(flagClass, ALLOC_CHARGE, LongConsumer.class).setVolatile(charge);
    }

    /** The init symbol as a handle of type {@code (ModuleOps)void}. */
    MethodHandle linkInit(El2Image image, El2Image.Symbol symbol) throws ReflectiveOperationException {
        Class<?> owner = declaringClass(image, symbol);
        return privateLookup(owner).findStatic(owner, symbol.methodName(),
                MethodType.methodType(void.class, ModuleOps.class));
    }

    /** An android14-6.1+ handler symbol as a {@link UserPtRegsHandler}. */
    UserPtRegsHandler linkUserPtRegs(El2Image image, El2Image.Symbol symbol) throws ReflectiveOperationException {
        return (UserPtRegsHandler) defineTrampoline(image, symbol, UserPtRegsHandler.class, UserPtRegs.class);
    }

    /** An android14-5.15 handler symbol as a {@link KvmCpuContextHandler}. */
    KvmCpuContextHandler linkKvmCpuContext(El2Image image, El2Image.Symbol symbol)
            throws ReflectiveOperationException {
        return (KvmCpuContextHandler) defineTrampoline(image, symbol, KvmCpuContextHandler.class, KvmCpuContext.class);
    }

    private Object defineTrampoline(El2Image image, El2Image.Symbol symbol, Class<?> handlerType, Class<?> argType)
            throws ReflectiveOperationException {
        Class<?> owner = declaringClass(image, symbol);
        MethodHandles.Lookup lookup = privateLookup(owner);
        // Check the symbol exists with the right shape before generating code that calls it.
        lookup.findStatic(owner, symbol.methodName(), MethodType.methodType(void.class, argType));
        ClassDesc ownerDesc = desc(owner);
        ClassDesc trampoline = ClassDesc.of(owner.getName() + "$El2Link$" + symbol.methodName());
        MethodTypeDesc handleType = MethodTypeDesc.of(CD_void, desc(argType));
        byte[] bytes = ClassFile.of().build(trampoline,
                new Trampoline(desc(handlerType), handleType, new CallSymbol(ownerDesc, symbol.methodName(), handleType,
                        owner.isInterface())));
        Class<?> linked = lookup.defineClass(bytes);
        try {
            return lookup.findConstructor(linked, MethodType.methodType(void.class)).invoke();
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot instantiate " + linked.getName(), t);
        }
    }

    /**
     * The trampoline class: {@code public final synthetic}, an {@code Object} implementing the handler
     * interface, whose {@code handle} is {@code body}.
     */
    private record Trampoline(ClassDesc handlerType, MethodTypeDesc handleType, CallSymbol body) implements Consumer<ClassBuilder> {
        @Override
        public void accept(ClassBuilder cb) {
            cb.withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL, AccessFlag.SYNTHETIC)
                    .withSuperclass(CD_Object)
                    .withInterfaceSymbols(handlerType)
                    .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC, SuperInit.INSTANCE)
                    .withMethodBody("handle", handleType, ClassFile.ACC_PUBLIC, body);
        }
    }

    /** The trampoline's constructor: {@code super()}. */
    private static final class SuperInit implements Consumer<CodeBuilder> {
        static final SuperInit INSTANCE = new SuperInit();

        @Override
        public void accept(CodeBuilder code) {
            code.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_();
        }
    }

    /** The trampoline's {@code handle}: its argument to the symbol's static method, by {@code invokestatic}. */
    private record CallSymbol(ClassDesc owner, String method, MethodTypeDesc type, boolean ownerIsInterface) implements Consumer<CodeBuilder> {
        @Override
        public void accept(CodeBuilder code) {
            code.aload(1).invokestatic(owner, method, type, ownerIsInterface).return_();
        }
    }

    private MethodHandles.Lookup privateLookup(Class<?> owner) throws IllegalAccessException {
        return MethodHandles.privateLookupIn(owner, hyp);
    }

    private static Class<?> declaringClass(El2Image image, El2Image.Symbol symbol) throws ClassNotFoundException {
        Class<?> owner = Class.forName(image.module(), symbol.className());
        if (owner == null) {
            throw new ClassNotFoundException(symbol.className() + " in " + image.module().getName());
        }
        return owner;
    }

    private static ClassDesc desc(Class<?> type) {
        return type.describeConstable().orElseThrow();
    }
}
