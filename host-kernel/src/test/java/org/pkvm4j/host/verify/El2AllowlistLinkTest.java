package org.pkvm4j.host.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.HypSpinLock;
import org.pkvm4j.api.el2.IllegalAbtNotifier;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.SerialDriver;

/**
 * The run-time half of the allow-list: every bundled module's EL2 code links and runs through a
 * class loader that resolves JDK classes only through {@link El2Allowlist#admitsClass}, as the EL2
 * layer's loader does, and a class off the list is a link error there.
 *
 * <p>The modules run against a stand-in {@link ModuleOps} (a proxy: memory reads 0, registrations
 * call the registered callback once), so that their inits, handlers, lambdas, string
 * concatenations and switches link their call sites; what they compute is not checked here.
 */
class El2AllowlistLinkTest {
    private static final El2Allowlist ALLOWLIST = El2Allowlist.bundled();

    /** A loader defining {@code own} classes, delegating the API, and the JDK only where the allow-list admits. */
    static final class RestrictedLoader extends ClassLoader {
        private final Map<String, byte[]> own;
        final List<String> refused = new ArrayList<>();

        RestrictedLoader(Map<String, byte[]> own) {
            super("el2-restricted", null);
            this.own = own;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes = own.get(name);
                    if (bytes != null) {
                        c = defineClass(name, bytes, 0, bytes.length);
                    } else if (name.startsWith("org.pkvm4j.api.")) {
                        c = ModuleOps.class.getClassLoader().loadClass(name);
                    } else if (ALLOWLIST.admitsClass(name)) {
                        c = ClassLoader.getPlatformClassLoader().loadClass(name);
                    } else {
                        refused.add(name);
                        throw new ClassNotFoundException(name + " is not on the EL2 allow-list");
                    }
                }
                return c;
            }
        }
    }

    @Test
    void everyBundledModuleLinksAndRunsThroughTheAllowlistAlone(@TempDir Path work) throws Exception {
        Path vendorModules = VendorModules.root();
        int modules = 0;
        for (Path hyp : VendorModules.hypSourceDirs(vendorModules)) {
            String module = vendorModules.relativize(hyp).getName(0).toString();
            Map<String, byte[]> own = compile(hyp, work.resolve(module));
            RestrictedLoader loader = new RestrictedLoader(own);
            List<String> output = new ArrayList<>();
            List<Method> symbols = new ArrayList<>();
            for (String name : own.keySet()) {
                Class<?> c = Class.forName(name, true, loader);
                for (Method m : c.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(El2Symbol.class) && Modifier.isStatic(m.getModifiers())) {
                        symbols.add(m);
                    }
                }
            }
            // The init first, as the loader runs it, then every handler.
            symbols.sort((a, b) -> Boolean.compare(a.getParameterTypes()[0] != ModuleOps.class,
                    b.getParameterTypes()[0] != ModuleOps.class));
            for (Method m : symbols) {
                run(m, output);
            }
            assertEquals(List.of(), loader.refused, module + " resolved a JDK class off the allow-list");
            assertTrue(symbols.size() >= 2, module + ": an init and a handler at least, found " + symbols);
            assertTrue(output.stream().anyMatch(l -> !l.isEmpty()), module + " printed nothing: " + output);
            modules++;
        }
        assertTrue(modules >= 6, "every bundled module with an EL2 part: found " + modules);
    }

    @Test
    void aJdkClassOffTheListIsALinkErrorInsideEl2(@TempDir Path work) throws Exception {
        Path src = work.resolve("src/bad/Spin.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, "package bad;\npublic class Spin { public static void run() { Thread.onSpinWait(); } }\n");
        Map<String, byte[]> own = classes(FixtureCompiler.compileFiles(List.of(src.toString()), work.resolve("out"), false));
        RestrictedLoader loader = new RestrictedLoader(own);
        Method run = Class.forName("bad.Spin", true, loader).getMethod("run");
        InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> run.invoke(null));
        assertInstanceOf(NoClassDefFoundError.class, e.getCause());
        assertEquals(List.of("java.lang.Thread"), loader.refused);
    }

    private static void run(Method m, List<String> output) throws IllegalAccessException {
        Class<?>[] params = m.getParameterTypes();
        for (long op = 0; op < 4; op++) {
            Object arg;
            if (params.length == 1 && params[0] == ModuleOps.class) {
                arg = ops(output);
            } else if (params.length == 1 && params[0] == UserPtRegs.class) {
                UserPtRegs regs = new UserPtRegs();
                regs.set(1, op);
                regs.set(2, 1);
                arg = regs;
            } else if (params.length == 1 && params[0] == KvmCpuContext.class) {
                KvmCpuContext ctx = new KvmCpuContext();
                ctx.setReg(1, op);
                arg = ctx;
            } else {
                throw new IllegalStateException("unexpected EL2 symbol signature: " + m);
            }
            try {
                m.invoke(null, arg);
            } catch (InvocationTargetException e) {
                // The stand-in ops make some handlers fail their own checks; only a link error counts here.
                if (e.getCause() instanceof LinkageError link) {
                    throw link;
                }
            }
            if (params[0] == ModuleOps.class) {
                return; // an init runs once
            }
        }
    }

    /** A stand-in for the hypervisor's ops: reads are 0, prints are kept, callbacks run once when registered. */
    private static ModuleOps ops(List<String> output) {
        return (ModuleOps) Proxy.newProxyInstance(ModuleOps.class.getClassLoader(), new Class<?>[] {ModuleOps.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "puts" -> {
                        output.add((String) args[0]);
                        yield null;
                    }
                    case "newSpinLock" -> new TestSpinLock();
                    case "nrCpus" -> 4;
                    case "smpProcessorId" -> 0;
                    case "getTime" -> System.nanoTime();
                    case "registerSerialDriver" -> {
                        ((SerialDriver) args[0]).putc('x');
                        yield null;
                    }
                    case "registerHostPermFaultHandler" -> {
                        ((HostPermFaultHandler) args[0]).handle(new UserPtRegs(), 1L << 6, 0x4000);
                        yield null;
                    }
                    case "registerIllegalAbtNotifier" -> {
                        ((IllegalAbtNotifier) args[0]).onIllegalAbort(new UserPtRegs());
                        yield null;
                    }
                    case "toString" -> "stand-in ModuleOps";
                    case "hashCode" -> 0;
                    case "equals" -> proxy == args[0];
                    default -> zero(method.getReturnType());
                });
    }

    private static Object zero(Class<?> type) {
        if (type == long.class) {
            return 0L;
        } else if (type == int.class) {
            return 0;
        } else if (type == byte.class) {
            return (byte) 0;
        } else if (type == boolean.class) {
            return false;
        }
        return null;
    }

    /** What the hypervisor's lock does, without its CPU checks. */
    private static final class TestSpinLock implements HypSpinLock {
        private final AtomicBoolean held = new AtomicBoolean();

        @Override
        public void lock() {
            while (!held.compareAndSet(false, true)) {
                Thread.onSpinWait();
            }
        }

        @Override
        public boolean tryLock() {
            return held.compareAndSet(false, true);
        }

        @Override
        public void unlock() {
            held.set(false);
        }

        @Override
        public boolean isLocked() {
            return held.get();
        }
    }

    private static Map<String, byte[]> compile(Path hyp, Path out) throws IOException {
        List<String> files;
        try (Stream<Path> walk = Files.walk(hyp)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        return classes(FixtureCompiler.compileFiles(files, out, true));
    }

    /** Class files by binary name, module-info left out. */
    private static Map<String, byte[]> classes(Path out) {
        Map<String, byte[]> byName = new LinkedHashMap<>();
        FixtureCompiler.classes(out, "").forEach((path, bytes) -> {
            if (path.endsWith(".class") && !path.endsWith("module-info.class")) {
                byName.put(path.substring(0, path.length() - ".class".length()).replace('/', '.'), bytes);
            }
        });
        return byName;
    }
}
