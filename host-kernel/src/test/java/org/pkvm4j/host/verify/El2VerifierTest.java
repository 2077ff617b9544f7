package org.pkvm4j.host.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.verify.RuleFixtures.Fixture;

class El2VerifierTest {
    @TempDir
    static Path work;
    private static Path classes;
    private static final El2Verifier VERIFIER = El2Verifier.bundled();

    /** Compiles every fixture in one javac run; each test packs the classes it needs into its own jar. */
    @BeforeAll
    static void compileFixtures() throws IOException {
        Map<String, String> sources = new LinkedHashMap<>();
        for (Fixture f : RuleFixtures.ALL) {
            sources.put("fx/" + f.name() + ".java", f.source());
        }
        sources.put("clean/Clean.java", RuleFixtures.CLEAN);
        classes = FixtureCompiler.compile(work, sources, false);
    }

    private static JarImage fixtureJar(String name) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        FixtureCompiler.classes(classes, "fx/").forEach((path, bytes) -> {
            if (path.equals("fx/" + name + ".class") || path.startsWith("fx/" + name + "$")) {
                entries.put(path, bytes);
            }
        });
        return FixtureCompiler.jar(name + "-hyp.jar", entries);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("org.pkvm4j.host.verify.RuleFixtures#ALL")
    void eachRuleRefusesItsFixtureWithItsReason(Fixture f) {
        List<Violation> violations = VERIFIER.verify(fixtureJar(f.name()));
        assertFalse(violations.isEmpty(), f.name() + " passed");
        Violation first = violations.getFirst();
        assertEquals("fx." + f.name(), first.className(), first.toString());
        assertEquals(f.method(), first.method(), first.toString());
        assertEquals(f.action(), first.action(), first.toString());
        assertEquals(f.referenced(), first.referenced(), first.toString());
        assertTrue(first.reason().startsWith(f.reason()), first.toString());
    }

    @Test
    void theMessageNamesClassMethodMemberAndReason() {
        Violation v = VERIFIER.verify(fixtureJar("Sleeps")).getFirst();
        assertEquals("fx.Sleeps.run()V calls java.lang.Thread.sleep(J)V: EL2 code cannot block: pKVM's EL2 is not preemptible",
                v.toString());
        assertEquals("fx.ExtendsThread extends java.lang.Thread: EL2 has no threads",
                VERIFIER.verify(fixtureJar("ExtendsThread")).getFirst().toString());
    }

    @Test
    void everyViolationIsReportedNotOnlyTheFirst() {
        // System.out is refused, and so is the PrintStream call on it.
        List<String> all = VERIFIER.verify(fixtureJar("PrintsOut")).stream().map(Violation::referenced).toList();
        assertEquals(List.of("java.lang.System.out", "java.io.PrintStream.println(Ljava/lang/String;)V"), all);
    }

    @Test
    void aMemberReferencedTwiceInOneMethodIsOneViolation() {
        assertEquals(1, VERIFIER.verify(fixtureJar("SleepsTwice")).size());
    }

    @Test
    void cleanEl2CodePasses() {
        JarImage jar = FixtureCompiler.jar("clean-hyp.jar", FixtureCompiler.classes(classes, "clean/"));
        assertTrue(jar.entryNames().size() > 5, "the clean fixture compiles to several classes: " + jar.entryNames());
        assertEquals(List.of(), VERIFIER.verify(jar));
    }

    @Test
    void aBootstrapOtherThanJavacsIsRefusedEvenWhenItIsTheModulesOwn() {
        Violation v = forged("fx/CustomBootstrap.class", ForgedClasses.customBootstrap()).getFirst();
        assertEquals("links invokedynamic through", v.action());
        assertEquals("fx.CustomBootstrap.bsm(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;"
                + "Ljava/lang/invoke/MethodType;)Ljava/lang/invoke/CallSite;", v.referenced());
        assertTrue(v.reason().startsWith(RuleFixtures.BOOTSTRAP), v.toString());

        Violation c = forged("fx/DynamicConstant.class", ForgedClasses.dynamicConstant()).getFirst();
        assertEquals("loads a dynamic constant through", c.action());
        assertTrue(c.reason().startsWith(RuleFixtures.BOOTSTRAP), c.toString());
    }

    @Test
    void anObjectMethodNamedThroughAnOwnClassIsCheckedAsObjects() {
        // The superclass is RuntimeException, which the policy allows wholesale: wait() is still Object's.
        Violation v = forged("fx/OwnerWait.class", ForgedClasses.waitThroughOwnClass()).getFirst();
        assertEquals("fx.OwnerWait.run()V calls java.lang.Object.wait()V (through fx.OwnerWait): " + RuleFixtures.BLOCK,
                v.toString());
    }

    @Test
    void methodTypeConstantsAndJdkInternalsAreRefused() {
        Violation t = forged("fx/MethodTypeConstant.class", ForgedClasses.methodTypeConstant()).getFirst();
        assertEquals("run()V loads a constant of type java.lang.invoke.MethodType",
                t.method() + " " + t.action() + " " + t.referenced());
        assertTrue(t.reason().startsWith(RuleFixtures.METHOD_HANDLES), t.toString());

        Violation u = forged("fx/JdkInternal.class", ForgedClasses.jdkInternal()).getFirst();
        assertEquals("jdk.internal.misc.Unsafe.getUnsafe()Ljdk/internal/misc/Unsafe;", u.referenced());
        assertTrue(u.reason().startsWith(RuleFixtures.INTERNALS), u.toString());
    }

    @Test
    void anUnreadableClassFileIsAViolationNotACrash() {
        List<Violation> violations = forged("fx/Garbage.class", ForgedClasses.garbage());
        assertEquals(1, violations.size());
        assertTrue(violations.getFirst().toString().startsWith("fx/Garbage.class is not a valid class file: "),
                violations.getFirst().toString());
    }

    @Test
    void moduleInfoIsLeftToTheDescriptorPolicy() {
        assertEquals(List.of(), forged("module-info.class", ForgedClasses.garbage()));
    }

    @Test
    void theBundledVendorModulesEl2CodePasses() throws IOException {
        Path vendorModules = VendorModules.root();
        int checked = 0;
        for (Path hyp : VendorModules.hypSourceDirs(vendorModules)) {
            Path out = work.resolve("vendor").resolve(vendorModules.relativize(hyp).getName(0).toString());
            List<String> files;
            try (Stream<Path> walk = Files.walk(hyp)) {
                files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
            }
            JarImage jar = FixtureCompiler.jar(hyp.toString(), FixtureCompiler.classes(
                    FixtureCompiler.compileFiles(files, out, true), ""));
            assertEquals(List.of(), VERIFIER.verify(jar), hyp.toString());
            checked++;
        }
        assertTrue(checked >= 3, "kvstore, percpu_counter and pkvm_driver: found " + checked);
        // The jars the build made, when it has made them (./mvnw install builds vendor-modules after host-kernel).
        for (Path jar : VendorModules.builtHypJars(vendorModules)) {
            assertEquals(List.of(), VERIFIER.verify(JarImage.read(jar.toString(), Files.readAllBytes(jar))), jar.toString());
        }
    }

    private static List<Violation> forged(String entry, byte[] bytes) {
        return VERIFIER.verify(FixtureCompiler.jar("forged-hyp.jar", Map.of(entry, bytes)));
    }
}
