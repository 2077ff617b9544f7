package org.pkvm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.testkit.ModuleFileBuilder;

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
    static void buildModules() {
        clean = moduleFile("clean_mod", "", "regs.set(0, 0);");
        sleeper = moduleFile("sleeper_mod", "", "try { Thread.sleep(1); } catch (InterruptedException e) { }"
                + " synchronized (Hyp.class) { regs.set(0, 0); }");
        logger = moduleFile("logger_mod", " requires java.logging;", "java.util.logging.Logger.getLogger(\"x\");");
    }

    /** A module file whose EL2 module also says {@code hypRequires} and whose handler runs {@code handlerBody}. */
    private static Path moduleFile(String name, String hypRequires, String handlerBody) {
        return ModuleFileBuilder.module(name)
                .el1Source("module-info.java", "module fixture." + name + " { requires org.pkvm4j.api;"
                        + " provides org.pkvm4j.api.el1.KernelModule with fixture." + name + ".Module; }")
                .el1Source("fixture/" + name + "/Module.java", "package fixture." + name + ";\n"
                        + "public final class Module implements org.pkvm4j.api.el1.KernelModule {\n"
                        + "    public void init(org.pkvm4j.api.el1.ModuleContext ctx) { }\n}\n")
                .hypSource("module-info.java", "module fixture." + name + ".hyp { requires org.pkvm4j.api;" + hypRequires + " }")
                .hypSource("fixture/" + name + "/hyp/Hyp.java", "package fixture." + name + ".hyp;\n"
                        + "import org.pkvm4j.api.UserPtRegs;\nimport org.pkvm4j.api.el2.El2Symbol;\n"
                        + "public final class Hyp {\n"
                        + "    @El2Symbol(\"" + name + "_hvc\")\n"
                        + "    public static void hvc(UserPtRegs regs) { " + handlerBody + " }\n}\n")
                .writeTo(work);
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
        assertTrue(r.out().contains("clean_mod: EL2 code ok: 0 violations in 1 class (allow-list bundled el2-allowlist.conf)"),
                r.out());
    }

    @Test
    void everyViolationIsPrintedAndTheExitCodeIsOne() {
        Run r = pkvm("verify", sleeper.toString());
        assertEquals(1, r.code(), r.toString());
        // Each violation names class, method, bytecode offset and line, the kind of reference and the member, and its code.
        assertTrue(r.out().contains("fixture.sleeper_mod.hyp.Hyp.hvc(Lorg/pkvm4j/api/UserPtRegs;)V [bci 1, line 6] calls"
                + " java.lang.Thread.sleep(J)V: " + El2Verifier.NOT_ALLOWED + " (EL2 has no threads) [PKVM-EL2-POLICY-VIOLATION]"),
                r.out());
        assertTrue(r.out().contains("fixture.sleeper_mod.hyp.Hyp.hvc(Lorg/pkvm4j/api/UserPtRegs;)V [bci 12, line 6] enters a"
                + " monitor (synchronized block): " + El2Verifier.MONITOR), r.out());
        assertTrue(r.out().contains("sleeper_mod: EL2 code refused: 3 violations in 1 class"), r.out());
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
    void theJsonReportListsTheSameViolations() {
        Run r = pkvm("verify", sleeper.toString(), "--json");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("\"allowlist\":\"bundled el2-allowlist.conf\""), r.out());
        assertTrue(r.out().contains("\"code\":\"PKVM-EL2-POLICY-VIOLATION\",\"class\":\"fixture.sleeper_mod.hyp.Hyp\","
                + "\"method\":\"hvc(Lorg/pkvm4j/api/UserPtRegs;)V\",\"offset\":1,\"line\":6,\"action\":\"calls\","
                + "\"referenced\":\"java.lang.Thread.sleep(J)V\""), r.out());
    }

    @Test
    void anotherAllowlistCanBeGiven(@TempDir Path dir) throws IOException {
        // The clean module's handler calls UserPtRegs.set only: an empty list refuses nothing it uses but Object's constructor.
        Path narrow = Files.writeString(dir.resolve("narrow.conf"), "java.lang.Object.<init>()V\n");
        Run r = pkvm("verify", clean.toString(), "--allowlist", narrow.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(allow-list " + narrow + ")"), r.out());
        Path empty = Files.writeString(dir.resolve("empty.conf"), "# nothing\n");
        Run refused = pkvm("verify", clean.toString(), "--allowlist", empty.toString());
        assertEquals(1, refused.code(), refused.toString());
        assertTrue(refused.out().contains("calls java.lang.Object.<init>()V"), refused.out());
    }

    @Test
    void aMalformedOrMissingAllowlistIsAUsageError(@TempDir Path dir) throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.conf"), "java.lang.Math.*\njava.lang.Nope\n");
        Run r = pkvm("verify", clean.toString(), "--allowlist", broken.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(broken + " line 2: no class java.lang.Nope in the running JDK"), r.err());
        assertEquals(2, pkvm("verify", clean.toString(), "--allowlist", dir.resolve("absent.conf").toString()).code());
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
