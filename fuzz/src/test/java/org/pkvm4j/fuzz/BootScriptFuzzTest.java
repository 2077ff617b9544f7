package org.pkvm4j.fuzz;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.pkvm4j.cli.shell.Script;
import org.pkvm4j.cli.shell.ScriptException;

/**
 * A boot script ({@code pkvm boot --script}): parsed line by line, or refused with a
 * {@link ScriptException} naming the file and the line.
 */
class BootScriptFuzzTest {
    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, UTF_8);
        Contract.succeedsOrRefuses("boot script", () -> {
            try {
                Script.parse("fuzz.pkvm", text);
            } catch (ScriptException e) {
                if (!e.getMessage().startsWith("fuzz.pkvm:")) {
                    throw new AssertionError("a script error that does not name the file and line: " + e.getMessage(), e);
                }
                throw e;
            }
        }, ScriptException.class);
    }
}
