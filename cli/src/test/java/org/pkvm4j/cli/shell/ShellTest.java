package org.pkvm4j.cli.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;

/**
 * How the shell scores a script: a refusal is output, an expect that matches it makes it expected,
 * an unchecked failure fails the script, a failed expect stops it. No device is needed: these
 * commands do not touch the kernel.
 */
class ShellTest {
    private final StringWriter out = new StringWriter();
    private final Shell shell = new Shell(null, new PrintWriter(out));

    private static Script script(Object... textAndCommands) {
        List<Script.Line> lines = new java.util.ArrayList<>();
        for (int i = 0; i < textAndCommands.length; i += 2) {
            lines.add(new Script.Line(i / 2 + 1, (String) textAndCommands[i], (ShellCommand) textAndCommands[i + 1]));
        }
        return new Script("t.pkvm", lines);
    }

    private static final ShellCommand REFUSED = (kernel, last) -> {
        throw new PkvmException(Errno.EAGAIN, "module x is in use");
    };

    @Test
    void aRefusalCheckedByTheNextExpectIsExpected() {
        Shell.Result r = shell.run(script("rmmod x", REFUSED, "expect in use", Expect.parse("EAGAIN: module x is in use")));
        assertTrue(r.ok(), r::toString);
        assertEquals("pkvm> rmmod x\nrmmod: EAGAIN: module x is in use [PKVM-ERRNO]\npkvm> expect in use\n",
                out.toString().replace("\r\n", "\n"));
    }

    @Test
    void anUncheckedFailureFailsTheScriptAndTheScriptGoesOn() {
        Shell.Result r = shell.run(script("rmmod x", REFUSED, "echo after", new Echo("after"),
                "expect after", Expect.parse("^after$")));
        assertFalse(r.ok());
        assertEquals(List.of("t.pkvm:1: rmmod x"), r.failures());
        assertEquals(3, r.commands());
    }

    @Test
    void aFailedExpectStopsTheScript() {
        Shell.Result r = shell.run(script("echo a", new Echo("a"), "expect b", Expect.parse("b"), "echo c", new Echo("c")));
        assertEquals(Optional.of("t.pkvm:2: expect failed: /b/ not found in the output above"), r.failedExpect());
        assertEquals(2, r.commands());
        assertFalse(out.toString().contains("pkvm> echo c"));
    }

    @Test
    void aFailureAtTheEndIsCounted() {
        Shell.Result r = shell.run(script("echo ok", new Echo("ok"), "rmmod x", REFUSED));
        assertEquals(List.of("t.pkvm:2: rmmod x"), r.failures());
    }
}
