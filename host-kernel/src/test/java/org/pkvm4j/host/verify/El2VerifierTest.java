package org.pkvm4j.host.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        sources.put("pat/EnumLabels.java", """
                package pat;

                public class EnumLabels {
                    sealed interface Shape permits Dot, Kind { }
                    record Dot() implements Shape { }
                    enum Kind implements Shape { A, B }

                    static int of(Shape s) {
                        return switch (s) {
                            case Dot d -> 0;
                            case Kind.A -> 1;
                            case Kind.B -> 2;
                        };
                    }
                }
                """);
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
    void eachForbiddenReferenceIsRefusedNamingTheMember(Fixture f) {
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
    void theMessageNamesClassMethodOffsetLineMemberAndReason() {
        Violation v = VERIFIER.verify(fixtureJar("Sleeps")).getFirst();
        // "public class Sleeps { public void run() ... { Thread.sleep(1); } }" is line 3; lconst_1 is bci 0, the call bci 1.
        assertEquals(1, v.offset(), v.toString());
        assertEquals(3, v.line(), v.toString());
        assertEquals("fx.Sleeps.run()V [bci 1, line 3] calls java.lang.Thread.sleep(J)V: " + El2Verifier.NOT_ALLOWED
                + " (EL2 has no threads)", v.toString());
        assertEquals("fx.ExtendsThread extends java.lang.Thread: " + El2Verifier.NOT_ALLOWED + " (EL2 has no threads)",
                VERIFIER.verify(fixtureJar("ExtendsThread")).getFirst().toString());
        // A hint is for the message only; a class no hint names is refused with the plain reason.
        assertEquals(El2Verifier.NOT_ALLOWED, forged("fx/CallsExit.class", ForgedClasses.callsOther("fx.CallsExit",
                "java.util.HexFormat", "of", "()Ljava/util/HexFormat;")).getFirst().reason());
    }

    @Test
    void everyViolationIsReportedNotOnlyTheFirst() {
        // System.out is refused, and so is the PrintStream call on it.
        List<String> all = VERIFIER.verify(fixtureJar("PrintsOut")).stream().map(Violation::referenced).toList();
        assertEquals(List.of("java.lang.System.out:Ljava/io/PrintStream;",
                "java.io.PrintStream.println(Ljava/lang/String;)V"), all);
    }

    @Test
    void theParallelStreamOfAConcurrentQueueIsNamedAsWritten() {
        // ConcurrentLinkedQueue is off the list, so its call is refused as javac wrote it; through an
        // admitted class (DequeParallelStream) it resolves to Collection.parallelStream().
        List<String> refs = VERIFIER.verify(fixtureJar("ConcurrentQueueParallelStream")).stream()
                .map(v -> v.action() + " " + v.referenced()).toList();
        assertTrue(refs.contains("calls java.util.concurrent.ConcurrentLinkedQueue.parallelStream()Ljava/util/stream/Stream;"),
                refs.toString());
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
    void enumLabelsInAPatternSwitchNeedConstantBootstrapsWhichIsNotOnTheList() {
        JarImage jar = FixtureCompiler.jar("pat-hyp.jar", FixtureCompiler.classes(classes, "pat/"));
        List<Violation> violations = VERIFIER.verify(jar);
        assertTrue(violations.stream().anyMatch(v -> v.reason().equals(El2Verifier.BOOTSTRAP)
                && v.referenced().startsWith("java.lang.invoke.ConstantBootstraps.invoke(")), violations.toString());
    }

    @Test
    void aBootstrapOtherThanJavacsIsRefusedEvenWhenItIsTheModulesOwn() {
        Violation v = forged("fx/CustomBootstrap.class", ForgedClasses.customBootstrap()).getFirst();
        assertEquals("links invokedynamic through", v.action());
        assertEquals("fx.CustomBootstrap.bsm(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;"
                + "Ljava/lang/invoke/MethodType;)Ljava/lang/invoke/CallSite;", v.referenced());
        assertEquals(El2Verifier.BOOTSTRAP, v.reason());
        assertEquals(0, v.offset());

        Violation c = forged("fx/DynamicConstant.class", ForgedClasses.dynamicConstant()).stream()
                .filter(x -> x.action().equals("loads a dynamic constant through")).findFirst().orElseThrow();
        assertEquals(El2Verifier.BOOTSTRAP, c.reason());
    }

    @Test
    void anObjectMethodNamedThroughAnOwnClassIsResolvedToObjects() {
        // The superclass is RuntimeException, which the list admits whole: wait() is still Object's.
        Violation v = forged("fx/OwnerWait.class", ForgedClasses.waitThroughOwnClass()).getFirst();
        assertEquals("fx.OwnerWait.run()V [bci 1] calls java.lang.Object.wait()V (through fx.OwnerWait): "
                + El2Verifier.NOT_ALLOWED + " (EL2 code cannot block or take a sleeping lock; use ModuleOps.newSpinLock())",
                v.toString());
    }

    @Test
    void methodTypeConstantsAndJdkInternalsAreRefused() {
        Violation t = forged("fx/MethodTypeConstant.class", ForgedClasses.methodTypeConstant()).getFirst();
        assertEquals("run()V loads a method type constant ()V", t.method() + " " + t.action() + " " + t.referenced());
        assertEquals(El2Verifier.HANDLE_CONSTANT, t.reason());

        Violation u = forged("fx/JdkInternal.class", ForgedClasses.jdkInternal()).getFirst();
        assertEquals("jdk.internal.misc.Unsafe.getUnsafe()Ljdk/internal/misc/Unsafe;", u.referenced());
        assertEquals(El2Verifier.NOT_ALLOWED + " (JDK internals bypass every check)", u.reason());
    }

    @Test
    void aDecoyNamingAJdkClassIsNotTheModulesOwnAndItsNameIsForeign() {
        // this_class java/lang/System under an unrelated entry: the loader never defines it, and
        // code calling System.exit calls the JDK's.
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("fx/Decoy.class", ForgedClasses.decoy("java.lang.System"));
        entries.put("fx/CallsExit.class", ForgedClasses.callsExit("fx.CallsExit"));
        List<Violation> violations = VERIFIER.verify(FixtureCompiler.jar("decoy-hyp.jar", entries));
        assertEquals("fx/Decoy.class is not the class it names (this_class java.lang.System): " + El2Verifier.NOT_OWN,
                violations.get(0).toString());
        assertEquals("java.lang.System.exit(I)V", violations.get(1).referenced());
        assertTrue(violations.get(1).reason().startsWith(El2Verifier.NOT_ALLOWED), violations.get(1).toString());
        // Even at its own path, a java.* class is never the module's.
        List<Violation> atPath = forged("java/lang/System.class", ForgedClasses.decoy("java.lang.System"));
        assertEquals(El2Verifier.NOT_OWN, atPath.getFirst().reason());
        // A multi-release variant defines nothing either.
        List<Violation> mr = forged("META-INF/versions/25/fx/CallsExit.class", ForgedClasses.callsExit("fx.CallsExit"));
        assertEquals(El2Verifier.NOT_OWN, mr.getFirst().reason());
    }

    @Test
    void theApprovedSetLimitsTheOwnClasses() {
        Map<String, byte[]> entries = Map.of("fx/CallsExit.class", ForgedClasses.callsExit("fx.CallsExit"));
        JarImage jar = FixtureCompiler.jar("approved-hyp.jar", entries);
        assertEquals(El2Verifier.NOT_OWN, VERIFIER.verify(jar, Set.of()).getFirst().reason());
        assertEquals("java.lang.System.exit(I)V", VERIFIER.verify(jar, Set.of("fx.CallsExit")).getFirst().referenced());
    }

    @Test
    void anUnreadableClassFileIsAViolationNotACrash() {
        List<Violation> violations = forged("fx/Garbage.class", ForgedClasses.garbage());
        assertEquals(1, violations.size());
        assertTrue(violations.getFirst().toString().startsWith("fx/Garbage.class is not a valid class file: "),
                violations.getFirst().toString());
        assertEquals(1, forged("fx/Two.class", new byte[] {(byte) 0xCA, (byte) 0xFE}).size());
    }

    @Test
    void aForgedSuperclassCycleEndsWithAViolation() {
        List<Violation> violations = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> forged("fx/Loop.class", ForgedClasses.ownSuperclass()));
        assertTrue(violations.stream().anyMatch(v -> v.referenced().equals("fx.Loop.missing()V")
                && v.reason().equals(El2Verifier.UNRESOLVED)), violations.toString());
        assertTrue(violations.stream().anyMatch(v -> v.referenced().equals("fx.Loop.missing:Ljava/lang/Object;")),
                violations.toString());
    }

    @Test
    void moduleInfoIsLeftToTheDescriptorChecks() {
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
        assertTrue(checked >= 6, "every bundled module with an EL2 part: found " + checked);
        // The jars the build made, when it has made them (vendor-modules build after host-kernel).
        for (Path jar : VendorModules.builtHypJars(vendorModules)) {
            assertEquals(List.of(), VERIFIER.verify(JarImage.read(jar.toString(), Files.readAllBytes(jar))), jar.toString());
        }
    }

    private static List<Violation> forged(String entry, byte[] bytes) {
        return VERIFIER.verify(FixtureCompiler.jar("forged-hyp.jar", Map.of(entry, bytes)));
    }
}
