package org.pkvm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.testkit.ModuleFileBuilder;
import org.pkvm4j.testkit.RawZip;

/** {@code pkvm abi dump|diff} end to end through {@link Main}, with abidiff's exit codes. */
class AbiCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /**
     * A tiny API jar, module {@code fixture.api} exporting {@code p} with the one type {@code ops}:
     * compiled by the test kit's builder as a module's EL1 part, packed as a plain jar (no modinfo).
     */
    private Path apiJar(String label, String ops) {
        RawZip jar = new RawZip();
        ModuleFileBuilder.module(label)
                .el1Source("module-info.java", "module fixture.api { exports p; }")
                .el1Source("p/Ops.java", ops)
                .el1Classes().forEach(jar::add);
        return jar.write(dir.resolve(label + ".jar"));
    }

    @Test
    void dumpWritesTheRunningApiAndDiffAgainstItIsZero() throws Exception {
        Path dump = dir.resolve("abi/api.abi");
        assertEquals(0, run("abi", "dump", "-o", dump.toString()), err::toString);
        assertTrue(out.toString().startsWith("wrote "), out::toString);
        assertTrue(Files.readString(dump).startsWith("# pkvm4j ABI dump, format 1\n# module org.pkvm4j.api"));

        out.getBuffer().setLength(0);
        assertEquals(0, run("abi", "dump"), err::toString);
        assertEquals(Files.readString(dump), out.toString());

        out.getBuffer().setLength(0);
        assertEquals(0, run("abi", "diff", dump.toString(), dump.toString()), err::toString);
        assertEquals("no ABI change\n", out.toString().replace("\r\n", "\n"));
    }

    @Test
    void compatibleChangesExitWith4AndBreakingOnesWith12() throws Exception {
        Path v1 = apiJar("v1", "package p; public interface Ops { void puts(String s); }");
        Path v2 = apiJar("v2", "package p; public interface Ops { void puts(String s); void putx64(long x); }");
        Path v2dump = dir.resolve("v2.abi");
        assertEquals(0, run("abi", "dump", v2.toString(), "-o", v2dump.toString()), err::toString);

        out.getBuffer().setLength(0);
        assertEquals(4, run("abi", "diff", v1.toString(), v2dump.toString()), err::toString);
        assertTrue(out.toString().startsWith("compatible method p.Ops.putx64(J) added to call-only interface p.Ops: "),
                out::toString);

        out.getBuffer().setLength(0);
        assertEquals(12, run("abi", "diff", v2dump.toString(), v1.toString()), err::toString);
        assertTrue(out.toString().startsWith("BREAKING  method p.Ops.putx64(J) removed: modules calling it fail with"
                + " NoSuchMethodError\n1 change: 1 breaking, 0 compatible"), out::toString);
    }

    @Test
    void unreadableInputsExitWith1InOneLine() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello\n");
        assertEquals(1, run("abi", "diff", text.toString(), text.toString()));
        assertEquals("pkvm: abi diff: " + text + " is neither an API jar nor an ABI dump"
                + " (a dump starts with \"# pkvm4j ABI dump, format 1\") [PKVM-CLI-FILE]", err.toString().strip());

        err.getBuffer().setLength(0);
        assertEquals(1, run("abi", "diff", dir.resolve("missing.abi").toString(), text.toString()));
        assertEquals("pkvm: abi diff: no such file: " + dir.resolve("missing.abi") + " [PKVM-CLI-FILE]", err.toString().strip());

        err.getBuffer().setLength(0);
        Path edited = dir.resolve("edited.abi");
        assertEquals(0, run("abi", "dump", "-o", edited.toString()));
        Files.writeString(edited, Files.readString(edited).replaceFirst("(\n0x[0-9a-f]{8} type \\S+ \\| \\w+), public", "$1, private"));
        assertEquals(1, run("abi", "diff", edited.toString(), edited.toString()));
        assertTrue(err.toString().startsWith("pkvm: abi diff: " + edited + ": line 4: CRC 0x"), err::toString);
        assertEquals(1, err.toString().strip().lines().count(), err::toString);
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, run("abi"));
        assertEquals(2, run("abi", "diff", "only-one"));
        assertEquals(2, run("abi", "frobnicate"));
    }

    @Test
    void helpListsTheExitCodes() {
        assertEquals(0, run("abi", "diff", "--help"));
        String help = out.toString();
        assertTrue(help.contains("Exit codes:"), help);
        assertTrue(help.contains("12"), help);
        assertTrue(help.contains("compatible changes only"), help);
    }
}
