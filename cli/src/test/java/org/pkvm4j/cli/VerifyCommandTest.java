package org.pkvm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.cli.Main;

/** {@code pkvm verify} on real module files: an EL1 jar with its modinfo and its EL2 jar inside. */
class VerifyCommandTest {
    @TempDir
    static Path work;
    private static Path clean;
    private static Path sleeper;
    private static Path logger;

    private record Run(int code, String out, String err) {
    }

    @BeforeAll
    static void buildModules() throws IOException {
        clean = moduleFile("clean_mod", "", "regs.set(0, 0);");
        sleeper = moduleFile("sleeper_mod", "", "try { Thread.sleep(1); } catch (InterruptedException e) { }"
                + " synchronized (Hyp.class) { regs.set(0, 0); }");
        logger = moduleFile("logger_mod", " requires java.logging;", "java.util.logging.Logger.getLogger(\"x\");");
    }

    /** A module file whose EL2 module also says {@code hypRequires} and whose handler runs {@code handlerBody}. */
    private static Path moduleFile(String name, String hypRequires, String handlerBody) throws IOException {
        Path dir = work.resolve(name);
        Path el1 = FixtureCompiler.compile(dir.resolve("el1"), Map.of(
                "module-info.java", "module fixture." + name + " { requires org.pkvm4j.api;"
                        + " provides org.pkvm4j.api.el1.KernelModule with fixture." + name + ".Module; }",
                "fixture/" + name + "/Module.java", "package fixture." + name + ";\n"
                        + "public final class Module implements org.pkvm4j.api.el1.KernelModule {\n"
                        + "    public void init(org.pkvm4j.api.el1.ModuleContext ctx) { }\n}\n"), true);
        Path hyp = FixtureCompiler.compile(dir.resolve("hyp"), Map.of(
                "module-info.java", "module fixture." + name + ".hyp { requires org.pkvm4j.api;" + hypRequires + " }",
                "fixture/" + name + "/hyp/Hyp.java", "package fixture." + name + ".hyp;\n"
                        + "import org.pkvm4j.api.UserPtRegs;\nimport org.pkvm4j.api.el2.El2Symbol;\n"
                        + "public final class Hyp {\n"
                        + "    @El2Symbol(\"" + name + "_hvc\")\n"
                        + "    public static void hvc(UserPtRegs regs) { " + handlerBody + " }\n}\n"), true);
        Map<String, byte[]> entries = new LinkedHashMap<>(FixtureCompiler.classes(el1, ""));
        entries.put("META-INF/pkvm/modinfo.properties", ("name=" + name + "\nversion=1.0\n").getBytes(StandardCharsets.UTF_8));
        entries.put("META-INF/pkvm/hyp.jar", FixtureCompiler.jarBytes(FixtureCompiler.classes(hyp, "")));
        return Files.write(dir.resolve(name + ".jar"), FixtureCompiler.jarBytes(entries));
    }

    private static Run pkvm(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aCleanModulePassesWithExitZero() {
        Run r = pkvm("verify", clean.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("clean_mod: descriptors and EL2 symbols ok"), r.out());
        assertTrue(r.out().contains("clean_mod: EL2 code ok: 0 violations in 1 class (policy bundled el2-policy.conf)"), r.out());
    }

    @Test
    void everyViolationIsPrintedAndTheExitCodeIsOne() {
        Run r = pkvm("verify", sleeper.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("fixture.sleeper_mod.hyp.Hyp.hvc(Lorg/pkvm4j/api/UserPtRegs;)V calls"
                + " java.lang.Thread.sleep(J)V: EL2 code cannot block: pKVM's EL2 is not preemptible"), r.out());
        assertTrue(r.out().contains("fixture.sleeper_mod.hyp.Hyp.hvc(Lorg/pkvm4j/api/UserPtRegs;)V enters a monitor"
                + " (synchronized block): EL2 code cannot take a sleeping lock"), r.out());
        assertTrue(r.out().contains("sleeper_mod: EL2 code refused: 2 violations in 1 class"), r.out());
    }

    @Test
    void theLoadersDescriptorChecksRunToo() {
        Run r = pkvm("verify", logger.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("EPERM: logger_mod: EL2 module fixture.logger_mod.hyp requires java.logging;"), r.out());
        assertTrue(r.out().contains("calls java.util.logging.Logger.getLogger(Ljava/lang/String;)Ljava/util/logging/Logger;"),
                r.out());
    }

    @Test
    void anotherPolicyFileCanBeGiven(@TempDir Path dir) throws IOException {
        Path lenient = Files.writeString(dir.resolve("lenient.conf"), "allow **\nallow <monitor>\n");
        Run r = pkvm("verify", sleeper.toString(), "--policy", lenient.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(policy " + lenient + ")"), r.out());
    }

    @Test
    void aMalformedOrMissingPolicyIsAUsageError(@TempDir Path dir) throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.conf"), "allow **\ndeny java.io.**\n");
        Run r = pkvm("verify", clean.toString(), "--policy", broken.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(broken + " line 2: deny needs a reason"), r.err());
        assertEquals(2, pkvm("verify", clean.toString(), "--policy", dir.resolve("absent.conf").toString()).code());
        assertEquals(2, pkvm("verify").code());
    }

    @Test
    void aFileThatIsNotAModuleFileFails(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("x.jar"), "not a jar");
        Run r = pkvm("verify", text.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("not a module file"), r.err());
    }
}
