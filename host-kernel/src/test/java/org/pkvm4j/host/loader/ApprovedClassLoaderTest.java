package org.pkvm4j.host.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The vendor layers' loader: it defines only approved bytes, and an EL2 loader resolves JDK classes
 * only through the run-time allow-list.
 */
class ApprovedClassLoaderTest {
    /** The run-time half of the bundled EL2 allow-list, as the loader uses it. */
    private static final java.util.function.Predicate<String> ADMITTED = org.pkvm4j.host.verify.El2Allowlist.bundled()::admitsClass;

    private static final String PKG = "acme.t.hyp";

    private static CheckedModule.Part part(JarImage jar, ModuleDescriptor d) {
        return new CheckedModule.Part(d, jar, ApprovedClasses.approve("t", jar, d));
    }

    private static ModuleDescriptor hypDescriptor() {
        return ModuleDescriptor.newModule("acme.t.hyp").requires("org.pkvm4j.api").packages(Set.of(PKG)).build();
    }

    private static Module el2(JarImage jar, El2ClassHooks hooks) {
        ModuleDescriptor d = hypDescriptor();
        return new VendorLayers().defineEl2("t", part(jar, d), ADMITTED, hooks).layer()
                .findModule(d.name()).orElseThrow();
    }

    @Test
    void anEl2ClassNamingAJdkClassOffTheAllowListFailsToLinkNamingIt() throws Exception {
        Module m = el2(TestClasses.jar("acme/t/hyp/Spawn.class", TestClasses.referencingInInit(PKG + ".Spawn",
                "java.lang.ProcessBuilder"), "acme/t/hyp/Ok.class", TestClasses.referencingInInit(PKG + ".Ok",
                "java.lang.StringBuilder")), El2ClassHooks.NONE);
        ClassLoader loader = m.getClassLoader();
        assertInstanceOf(ApprovedClassLoader.class, loader);
        NoClassDefFoundError e = assertThrows(NoClassDefFoundError.class, () -> Class.forName(PKG + ".Spawn", true, loader));
        assertTrue(e.getMessage().contains("java/lang/ProcessBuilder"), e.getMessage());
        assertTrue(e.getCause().getMessage().contains("EL2 module acme.t.hyp may not use it (not on the EL2 allow-list"),
                e.getCause().getMessage());
        ClassNotFoundException direct = assertThrows(ClassNotFoundException.class, () -> loader.loadClass("java.lang.Runtime"));
        assertTrue(direct.getMessage().contains("java.lang.Runtime"), direct.getMessage());
        assertThrows(ClassNotFoundException.class, () -> loader.loadClass("org.pkvm4j.host.HostKernel"));
        assertThrows(ClassNotFoundException.class, () -> loader.loadClass("org.pkvm4j.machine.Machine"));
        // What the list admits, and the API, resolve; the module's own class initialises.
        assertSame(StringBuilder.class, loader.loadClass("java.lang.StringBuilder"));
        assertSame(org.pkvm4j.api.el2.ModuleOps.class, loader.loadClass("org.pkvm4j.api.el2.ModuleOps"));
        assertEquals(m, Class.forName(PKG + ".Ok", true, loader).getModule());
    }

    @Test
    void theEl1LoaderResolvesJdkClassesThroughThePlatformLoader() throws Exception {
        ModuleDescriptor d = ModuleDescriptor.newModule("acme.t").requires("org.pkvm4j.api").packages(Set.of("acme.t")).build();
        JarImage jar = TestClasses.jar("acme/t/Spawn.class", TestClasses.referencingInInit("acme.t.Spawn", "java.lang.ProcessBuilder"));
        Module m = new VendorLayers().defineEl1("t", part(jar, d), List.of()).layer().findModule("acme.t").orElseThrow();
        assertEquals(m, Class.forName("acme.t.Spawn", true, m.getClassLoader()).getModule());
        assertSame(org.pkvm4j.api.Errno.class, m.getClassLoader().loadClass("org.pkvm4j.api.Errno"));
    }

    @Test
    void bytesOtherThanTheApprovedOnesAreNeverDefined() {
        byte[] bytes = TestClasses.type(PKG + ".Foo");
        ModuleDescriptor d = hypDescriptor();
        ApprovedClasses approved = ApprovedClasses.approve("t", TestClasses.jar("acme/t/hyp/Foo.class", bytes), d);
        byte[] changed = bytes.clone();
        changed[changed.length - 1] ^= 1;
        // The approval of one jar paired with another's bytes: the define-time digest check refuses them.
        CheckedModule.Part part = new CheckedModule.Part(d, TestClasses.jar("acme/t/hyp/Foo.class", changed), approved);
        Module m = new VendorLayers().defineEl2("t", part, ADMITTED, El2ClassHooks.NONE).layer()
                .findModule(d.name()).orElseThrow();
        ClassNotFoundException e = assertThrows(ClassNotFoundException.class,
                () -> Class.forName(PKG + ".Foo", false, m.getClassLoader()));
        assertTrue(e.getMessage().contains("are not the approved bytes (digest differs); refused"), e.getMessage());
        assertNull(Class.forName(m, PKG + ".Foo"), "findClass(module, name) finds nothing either");
    }

    @Test
    void bytesChangedThroughWhatTheJarHandsOutNeverReachTheDefine() throws Exception {
        byte[] bytes = TestClasses.type(PKG + ".Foo");
        JarImage jar = TestClasses.jar("acme/t/hyp/Foo.class", bytes);
        ModuleDescriptor d = hypDescriptor();
        CheckedModule.Part approved = part(jar, d);
        // Every array a holder can reach is its own: the caller's, an entry, an entries() value.
        bytes[bytes.length - 1] ^= 1;
        jar.entry("acme/t/hyp/Foo.class").orElseThrow()[bytes.length - 2] ^= 1;
        jar.entries().get("acme/t/hyp/Foo.class")[bytes.length - 3] ^= 1;
        jar.entries().values().iterator().next()[bytes.length - 4] ^= 1;
        Module m = new VendorLayers().defineEl2("t", approved, ADMITTED, El2ClassHooks.NONE).layer()
                .findModule(d.name()).orElseThrow();
        assertEquals(PKG + ".Foo", Class.forName(PKG + ".Foo", false, m.getClassLoader()).getName());
    }

    @Test
    void onlyApprovedNamesAreDefinedInTheModulesPackages() throws Exception {
        Module m = el2(TestClasses.jar("acme/t/hyp/Foo.class", TestClasses.type(PKG + ".Foo")), El2ClassHooks.NONE);
        assertEquals(PKG + ".Foo", Class.forName(m, PKG + ".Foo").getName());
        assertSame(Class.forName(m, PKG + ".Foo"), m.getClassLoader().loadClass(PKG + ".Foo"));
        assertNull(Class.forName(m, PKG + ".Missing"));
        assertThrows(ClassNotFoundException.class, () -> m.getClassLoader().loadClass(PKG + ".Missing"));
    }

    @Test
    void el2HooksTransformEveryApprovedClassAndAddGeneratedOnes() throws Exception {
        AtomicInteger transformed = new AtomicInteger();
        java.util.function.BiFunction<String, byte[], byte[]> count = (n, b) -> {
            transformed.incrementAndGet();
            return b;
        };
        Module m = el2(TestClasses.jar("acme/t/hyp/Foo.class", TestClasses.type(PKG + ".Foo")),
                new El2ClassHooks(count, Map.of(PKG + ".Gen", TestClasses.type(PKG + ".Gen"))));
        Class.forName(m, PKG + ".Foo");
        assertEquals(1, transformed.get());
        assertEquals(m, Class.forName(m, PKG + ".Gen").getModule());
        assertEquals(1, transformed.get(), "generated classes are not transformed");
        ModuleDescriptor d = hypDescriptor();
        CheckedModule.Part p = part(TestClasses.jar("acme/t/hyp/Foo.class", TestClasses.type(PKG + ".Foo")), d);
        assertThrows(IllegalArgumentException.class, () -> new VendorLayers().defineEl2("t", p, ADMITTED,
                new El2ClassHooks((n, b) -> b, Map.of("elsewhere.Gen", new byte[0]))));
    }

    @Test
    void theModulesOwnResourcesAreServed() throws IOException {
        Module m = el2(TestClasses.jar("acme/t/hyp/Foo.class", TestClasses.type(PKG + ".Foo"), "META-INF/acme/table.bin",
                new byte[] {1, 2, 3}), El2ClassHooks.NONE);
        try (InputStream in = m.getResourceAsStream("META-INF/acme/table.bin")) {
            assertEquals(3, in.readAllBytes().length);
        }
        assertNull(m.getResourceAsStream("META-INF/acme/absent.bin"));
        assertNull(m.getResourceAsStream("acme/t/hyp/Foo.class"), "class files are not served as resources");
    }
}
