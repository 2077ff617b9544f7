package org.pkvm4j.host.preempt;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.AccessFlag;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The preemption-point transform: polls at method entry, backward branches and handler entries make
 * code that never returns stop once the flag is set, also through {@code catch (Throwable)} and
 * {@code finally}; a handler that leads back to itself is refused.
 */
class PreemptionPointsTest {
    private static final String PKG = Spinners.class.getPackageName();
    private static final String FLAG = PreemptFlagClass.binaryName(PKG);

    /** Defines the transformed {@link Spinners} (and its flag class) in a loader of its own. */
    private static final class Stoppable extends ClassLoader {
        private final Map<String, byte[]> classes;

        Stoppable(Map<String, byte[]> classes) {
            super(PreemptionPointsTest.class.getClassLoader());
            this.classes = classes;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                byte[] bytes = classes.get(name.replace('.', '/') + ".class");
                if (bytes == null) {
                    return super.loadClass(name, resolve);
                }
                Class<?> c = findLoadedClass(name);
                return c != null ? c : defineClass(name, bytes, 0, bytes.length);
            }
        }
    }

    private static byte[] bytesOf(String entry) {
        try (InputStream in = PreemptionPointsTest.class.getClassLoader().getResourceAsStream(entry)) {
            assertNotNull(in, entry);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, byte[]> spinnerClasses() {
        String entry = Spinners.class.getName().replace('.', '/') + ".class";
        Map<String, byte[]> in = new HashMap<>();
        in.put(entry, bytesOf(entry));
        return PreemptionPoints.apply(Set.of(PKG), in);
    }

    private static Map<String, byte[]> allocatorClasses() {
        String entry = Allocators.class.getName().replace('.', '/') + ".class";
        Map<String, byte[]> in = new HashMap<>();
        in.put(entry, bytesOf(entry));
        return PreemptionPoints.apply(Set.of(PKG), in);
    }

    /** Records every charge; sets the stop flag when a charge exceeds {@code limit}. */
    private static List<Long> chargeInto(Class<?> allocators, long limit) throws ReflectiveOperationException {
        Class<?> flag = Class.forName(FLAG, true, allocators.getClassLoader());
        VarHandle stop = flagOf(allocators);
        List<Long> charges = new ArrayList<>();
        LongConsumer charge = bytes -> {
            charges.add(bytes);
            if (bytes > limit) {
                stop.setVolatile(true);
            }
        };
        MethodHandles.privateLookupIn(flag, MethodHandles.lookup())
                .findStaticVarHandle(flag, PreemptFlagClass.CHARGE, LongConsumer.class).setVolatile(charge);
        return charges;
    }

    private static Object call(Class<?> c, String method, int... args) throws Throwable {
        Class<?>[] types = new Class<?>[args.length];
        Object[] values = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            types[i] = int.class;
            values[i] = args[i];
        }
        try {
            return c.getMethod(method, types).invoke(null, values);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Scenario: every array allocation is charged before it happens: header plus elements, 4 bytes a
     * reference, all rows of a multi-dimensional array; a negative length charges only a header.
     */
    @Test
    void arrayAllocationsAreChargedBeforeTheyHappen() throws Throwable {
        Class<?> allocators = load(allocatorClasses(), Allocators.class.getName());
        List<Long> charges = chargeInto(allocators, Long.MAX_VALUE);
        assertEquals(10, call(allocators, "longs", 10));
        assertEquals(3, call(allocators, "bytes", 3));
        assertEquals(5, call(allocators, "objects", 5));
        assertEquals(4, call(allocators, "grid", 4, 6));
        assertEquals(2, call(allocators, "partial", 2, 7));
        assertThrows(NegativeArraySizeException.class, () -> call(allocators, "longs", -1));
        assertEquals(List.of(16 + 80L, 16 + 3L, 16 + 20L, 4 * 16 + 4 * 6 * 4L, 2 * 16 + 2 * 7 * 4L, 16L), charges);
    }

    /**
     * Scenario: a charge that stops the module (the hypervisor's answer to a trap over its budget)
     * ends the code before the array exists; lengths that overflow a long saturate.
     */
    @Test
    void aChargeOverTheLimitStopsTheCodeBeforeTheArrayExists() throws Throwable {
        Class<?> allocators = load(allocatorClasses(), Allocators.class.getName());
        List<Long> charges = chargeInto(allocators, 1L << 20);
        Throwable stopped = assertThrows(Throwable.class, () -> call(allocators, "longs", Integer.MAX_VALUE));
        assertEquals(PreemptFlagClass.stopBinaryName(PKG), stopped.getClass().getName(), "not an OutOfMemoryError");
        assertEquals(List.of(16 + 8L * Integer.MAX_VALUE), charges);
        // 2^31 rows of 2^31 ints: more bytes than a long holds, charged as Long.MAX_VALUE.
        flagOf(allocators).setVolatile(false);
        charges.clear();
        assertThrows(Throwable.class, () -> call(allocators, "grid", Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals(List.of(Long.MAX_VALUE), charges);
    }

    private static Class<?> load(Map<String, byte[]> classes, String name) throws ClassNotFoundException {
        Stoppable loader = new Stoppable(classes);
        Class<?> c = Class.forName(name, true, loader);
        PreemptionPointsTest.class.getModule().addReads(c.getModule());
        return c;
    }

    private static VarHandle flagOf(Class<?> spinners) throws ReflectiveOperationException {
        Class<?> flag = Class.forName(FLAG, true, spinners.getClassLoader());
        return MethodHandles.privateLookupIn(flag, MethodHandles.lookup())
                .findStaticVarHandle(flag, PreemptFlagClass.FLAG, boolean.class);
    }

    /**
     * Scenario: each shape of code that never returns runs on a thread; once the flag is set the
     * thread ends with the stop throwable, however the code catches.
     */
    @ParameterizedTest
    @ValueSource(strings = {"spin", "spinSwallowing", "spinInFinally", "recurse", "spinInLambda"})
    void codeThatNeverReturnsStopsOnceTheFlagIsSet(String method) throws Exception {
        Class<?> spinners = load(spinnerClasses(), Spinners.class.getName());
        Method m = spinners.getMethod(method);
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("spinner-" + method).start(() -> {
            try {
                m.invoke(null);
            } catch (ReflectiveOperationException e) {
                ended.set(e.getCause());
            }
        });
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(t::isAlive);
        flagOf(spinners).setVolatile(true);
        await().atMost(Duration.ofSeconds(20)).until(() -> !t.isAlive());
        assertEquals(PreemptFlagClass.stopBinaryName(PKG), ended.get().getClass().getName());
        assertEquals(PreemptFlagClass.MESSAGE, ended.get().getMessage());
        assertInstanceOf(Error.class, ended.get());
    }

    /** Scenario: with the flag clear, transformed code computes what it did before. */
    @Test
    void theFlagClearChangesNothing() throws Exception {
        Class<?> spinners = load(spinnerClasses(), Spinners.class.getName());
        assertEquals(Spinners.sum(1000), spinners.getMethod("sum", int.class).invoke(null, 1000));
    }

    /** Scenario: the poll is in the transformed bytes: at entry, before back-edges and after a finally's store. */
    @Test
    void pollsAreWhereTheyShouldBe() {
        byte[] out = spinnerClasses().get(Spinners.class.getName().replace('.', '/') + ".class");
        var model = ClassFile.of().parse(out);
        var sum = model.methods().stream().filter(m -> m.methodName().equalsString("sum")).findFirst().orElseThrow();
        long polls = sum.code().orElseThrow().elementStream()
                .filter(e -> e instanceof InvokeInstruction i && i.opcode() == Opcode.INVOKESTATIC
                        && i.owner().asInternalName().equals(FLAG.replace('.', '/')) && i.name().equalsString("poll"))
                .count();
        // entry, the loop's back-edge, and the finally handler's poll
        assertEquals(3, polls);
    }

    /**
     * Scenario: the flag class is public, final, and its flag private: code can poll but not clear
     * it; it is no Throwable (C2 would not inline its poll), the stop it throws is an Error.
     */
    @Test
    void theFlagCannotBeWrittenByTheModule() {
        var model = ClassFile.of().parse(PreemptFlagClass.bytes(PKG));
        assertTrue(model.flags().has(AccessFlag.PUBLIC) && model.flags().has(AccessFlag.FINAL));
        var flag = model.fields().stream().filter(f -> f.fieldName().equalsString(PreemptFlagClass.FLAG)).findFirst().orElseThrow();
        assertTrue(flag.flags().has(AccessFlag.PRIVATE) && flag.flags().has(AccessFlag.VOLATILE) && flag.flags().has(AccessFlag.STATIC));
        assertEquals("java/lang/Object", model.superclass().orElseThrow().asInternalName());
        var stop = ClassFile.of().parse(PreemptFlagClass.stopBytes(PKG));
        assertEquals("java/lang/Error", stop.superclass().orElseThrow().asInternalName());
    }

    /** Scenario: a handler whose range covers its own code beyond a plain store (it calls) is refused. */
    @Test
    void aHandlerThatCoversItsOwnCallsIsRefused() {
        ClassDesc self = ClassDesc.of(PKG + ".SelfCovering");
        byte[] bytes = ClassFile.of().build(self, cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL)
                .withMethodBody("run", ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                    var start = code.newLabel();
                    var handler = code.newLabel();
                    var end = code.newLabel();
                    code.labelBinding(start)
                            .invokestatic(self, "run", ConstantDescs.MTD_void)
                            .return_()
                            .labelBinding(handler)
                            .pop()
                            .invokestatic(self, "run", ConstantDescs.MTD_void)
                            .labelBinding(end)
                            .return_()
                            .exceptionCatchAll(start, end, handler);
                }));
        PreemptionPoints points = new PreemptionPoints(FLAG, n -> null);
        PreemptionException e = assertThrows(PreemptionException.class, () -> points.transform(bytes));
        assertTrue(e.getMessage().contains("SelfCovering.run()V"), e.getMessage());
        assertTrue(e.getMessage().contains("could not unwind"), e.getMessage());
    }

    /** Scenario: two handlers covering each other's entry are refused. */
    @Test
    void handlersThatCoverEachOtherAreRefused() {
        ClassDesc self = ClassDesc.of(PKG + ".Mutual");
        byte[] bytes = ClassFile.of().build(self, cb -> cb
                .withMethodBody("run", ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                    var start = code.newLabel();
                    var called = code.newLabel();
                    var h1 = code.newLabel();
                    var h2 = code.newLabel();
                    var end = code.newLabel();
                    code.labelBinding(start)
                            .invokestatic(self, "run", ConstantDescs.MTD_void)
                            .labelBinding(called)
                            .return_()
                            .labelBinding(h1)
                            .athrow()
                            .labelBinding(h2)
                            .athrow()
                            .labelBinding(end)
                            .exceptionCatchAll(start, called, h1)
                            .exceptionCatchAll(h1, h2, h2)
                            .exceptionCatchAll(h2, end, h1);
                }));
        assertThrows(PreemptionException.class, () -> new PreemptionPoints(FLAG, n -> null).transform(bytes));
    }

    /** Scenario: a module class named like the generated flag is refused, not overwritten. */
    @Test
    void aClassNamedLikeTheFlagIsRefused() {
        Map<String, byte[]> flag = Map.of(FLAG.replace('.', '/') + ".class", PreemptFlagClass.bytes(PKG));
        assertThrows(PreemptionException.class, () -> PreemptionPoints.apply(Set.of(PKG), flag));
        String stopEntry = PreemptFlagClass.stopBinaryName(PKG).replace('.', '/') + ".class";
        Map<String, byte[]> stop = Map.of(stopEntry, PreemptFlagClass.stopBytes(PKG));
        assertThrows(PreemptionException.class, () -> PreemptionPoints.apply(Set.of(PKG), stop));
    }

    /** Scenario: not a class file: refused with a message, never an unchecked parse error. */
    @Test
    void aBrokenClassFileIsRefused() {
        assertThrows(PreemptionException.class, () -> new PreemptionPoints(FLAG, n -> null).transform(new byte[] {(byte) 0xCA, (byte) 0xFE}));
        assertFalse(PreemptionPoints.isClassOf("module-info.class", Set.of(PKG)));
        assertFalse(PreemptionPoints.isClassOf("META-INF/x/Y.class", Set.of("META-INF.x")));
        assertTrue(PreemptionPoints.isClassOf(PKG.replace('.', '/') + "/X.class", Set.of(PKG)));
    }

}
