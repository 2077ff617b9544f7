package org.pkvm4j.cli.shell;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.diag.ErrorCode;

/** Parsing workload scripts: every command, comments, and errors that name the line. */
class ScriptTest {

    private static String parseError(String text) {
        return assertThrows(ScriptException.class, () -> Script.parse("w.pkvm", text)).getMessage();
    }

    @Test
    void parsesEveryCommandAndSkipsCommentsAndBlankLines() {
        Script s = Script.parse("w.pkvm", """
                # a workload
                lsmod

                   dmesg -c --grep 'kvm: .*protected'
                modprobe hello-el1
                rmmod hello_el1
                modinfo kvstore
                hvc kvstore 0xC6000081 7 -1 0x10
                ioctl /dev/kvstore 0 5
                echo  two  spaces kept inside
                expect ^two\\s+spaces
                """);
        assertEquals(List.of(2, 4, 5, 6, 7, 8, 9, 10, 11), s.lines().stream().map(Script.Line::number).toList());
        assertInstanceOf(Lsmod.class, s.lines().get(0).command());
        Dmesg dmesg = assertInstanceOf(Dmesg.class, s.lines().get(1).command());
        assertTrue(dmesg.clear());
        assertEquals("kvm: .*protected", dmesg.grep().pattern());
        assertEquals(new Modprobe("hello-el1"), s.lines().get(2).command());
        assertEquals("hello_el1", assertInstanceOf(Rmmod.class, s.lines().get(3).command()).name());
        assertEquals(new Modinfo("kvstore"), s.lines().get(4).command());
        Hvc hvc = assertInstanceOf(Hvc.class, s.lines().get(5).command());
        assertEquals(0xC600_0081L, hvc.selector());
        assertArrayEquals(new long[] {7, -1, 16}, hvc.args());
        assertEquals(new Ioctl("kvstore", 0, 5), s.lines().get(6).command());
        assertEquals(new Echo("two  spaces kept inside"), s.lines().get(7).command());
        assertTrue(assertInstanceOf(Expect.class, s.lines().get(8).command()).regex().matcher("x\ntwo  spaces").find(),
                "^ matches at a line start");
    }

    @Test
    void dmesgWithoutOptionsReadsWithoutClearing() {
        Dmesg dmesg = assertInstanceOf(Dmesg.class, Commands.parse("dmesg"));
        assertEquals(false, dmesg.clear());
        assertNull(dmesg.grep());
        assertEquals("EL2", ((Dmesg) Commands.parse("dmesg --grep=EL2")).grep().pattern());
    }

    @Test
    void errorsNameTheFileAndTheLine() {
        assertEquals("w.pkvm:3: unknown command 'lsmd' (commands: lsmod, dmesg, modprobe, rmmod, modinfo, hvc, ioctl,"
                + " echo, expect)", parseError("# x\nlsmod\nlsmd\n"));
        assertEquals("w.pkvm:1: modprobe: expected NAME, got 0 argument(s)", parseError("modprobe"));
        assertEquals("w.pkvm:1: rmmod: expected NAME, got 2 argument(s)", parseError("rmmod a b"));
        assertEquals("w.pkvm:1: lsmod: takes no argument, got '-l'", parseError("lsmod -l"));
        assertEquals("w.pkvm:2: dmesg: unexpected '-x' (usage: dmesg [-c] [--grep RE])", parseError("lsmod\ndmesg -x"));
        assertEquals("w.pkvm:1: hvc HVC 'one' is not a number (decimal or 0x hex)", parseError("hvc kvstore one"));
        assertEquals("w.pkvm:1: hvc: expected MODULE HVC [A1 [A2 [A3]]], got 6 argument(s)",
                parseError("hvc kvstore 0 1 2 3 4"));
        assertTrue(parseError("hvc kvstore 300").startsWith("w.pkvm:1: hvc: HVC 300 is neither an index"));
        assertEquals("w.pkvm:1: ioctl CMD '0x1ffffffff' does not fit 32 bits", parseError("ioctl dev 0x1ffffffff"));
        assertEquals("w.pkvm:1: unterminated ' quote", parseError("dmesg --grep 'oops"));
        assertTrue(parseError("lsmod\nexpect (").startsWith("w.pkvm:2: '(' is not a valid regex: "));
        assertEquals("w.pkvm:1: expect has no command before it to check", parseError("expect x"));
        assertEquals("w.pkvm:3: expect has no command before it to check", parseError("lsmod\nexpect a\nexpect b"));
        assertEquals("w.pkvm:2: expect: missing REGEX", parseError("lsmod\nexpect"));
    }

    @Test
    void dashReadsStandardInputAndErrorsNameIt() {
        Script s = Script.read("-", stdin("lsmod\necho hi\n"));
        assertEquals(Script.STDIN, s.source());
        assertEquals(2, s.lines().size());
        assertEquals("<stdin>:2: unknown command 'nope' (commands: lsmod, dmesg, modprobe, rmmod, modinfo, hvc, ioctl,"
                + " echo, expect)", assertThrows(ScriptException.class, () -> Script.read("-", stdin("lsmod\nnope"))).getMessage());
    }

    @Test
    void anUnreadableFileIsAScriptError() {
        ScriptException e = assertThrows(ScriptException.class, () -> Script.read("no/such/file.pkvm", stdin("")));
        assertEquals("no/such/file.pkvm: cannot read the script: no such file", e.getMessage());
        assertEquals(ErrorCode.CLI_FILE, e.code());
    }

    private static ByteArrayInputStream stdin(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    // Found by fuzzing (BootScriptFuzzTest): "unknown command" quoted a NUL and an escape sequence.
    @Test
    void aControlCharacterIsRefusedNamingItsLine() {
        assertEquals("w.pkvm:2: control character U+001B at column 5; a script is printable text",
                parseError("lsmod\nlsmo\u001b[2J\nrmmod x"));
        assertEquals("w.pkvm:1: control character U+000D at column 6; a script is printable text",
                parseError("lsmod\rdmesg"));
    }
}
