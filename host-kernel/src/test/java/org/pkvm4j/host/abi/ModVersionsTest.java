package org.pkvm4j.host.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading a module's modversions record: what it refuses, and that the refusal is printable. */
class ModVersionsTest {
    private static final String GOOD = "# pkvm4j modversions, format 1\napi.version=1\nclasses.sha256=ab\nhandler.abi=\n0x0000002a acme.X.y\n";

    private static ModVersions parse(String text) throws IOException {
        return ModVersions.parse("m.jar", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRecordReadsBackWhatItWrites() throws IOException {
        ModVersions v = parse(GOOD);
        assertEquals(v, parse(v.format()));
    }

    // Found by fuzzing (ModVersionsFuzzTest): a malformed line was quoted with a NUL in it.
    @Test
    void aControlCharacterIsRefusedNamingItsLineWithoutQuotingIt() {
        IOException e = assertThrows(IOException.class, () -> parse(GOOD + "0xd53\u0000\u001b[2J acme.X.z\n"));
        assertEquals("m.jar: META-INF/pkvm/modversions line 6 has a control character U+0000 at column 6", e.getMessage());
    }

    @Test
    void aMalformedLineIsRefusedNamingIt() {
        IOException e = assertThrows(IOException.class, () -> parse(GOOD + "0xnothex acme.X.z\n"));
        assertTrue(e.getMessage().startsWith("m.jar: META-INF/pkvm/modversions line 6 is malformed: "), e.getMessage());
    }

    @Test
    void aLongMalformedLineIsQuotedShort() {
        IOException e = assertThrows(IOException.class, () -> parse(GOOD + "0x" + "z".repeat(100_000) + "\n"));
        assertTrue(e.getMessage().length() < 400, "a refusal quotes at most a bounded part of the line: " + e.getMessage().length());
        assertTrue(e.getMessage().endsWith("zzz..."), e.getMessage());
    }
}
