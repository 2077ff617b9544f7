package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModinfoTest {

    private static Modinfo parse(String text) throws IOException {
        return Modinfo.parse("m.jar", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesEveryFieldAndNormalisesNames() throws IOException {
        Modinfo m = parse("""
                name = pkvm-driver
                version=1.2
                description=A driver
                license=GPL-2.0
                author=Someone
                api.version=0.1
                depends= pkvm-pl011 , other_mod
                """);
        assertEquals("pkvm_driver", m.name());
        assertEquals("1.2", m.version());
        assertEquals("A driver", m.description());
        assertEquals("GPL-2.0", m.license());
        assertEquals("Someone", m.author());
        assertEquals("0.1", m.apiVersion());
        assertEquals(List.of("pkvm_pl011", "other_mod"), m.depends());
    }

    @Test
    void missingFieldsAreEmpty() throws IOException {
        Modinfo m = parse("name=solo\n");
        assertEquals("", m.version());
        assertEquals(List.of(), m.depends());
    }

    @Test
    void aRecordWithoutANameIsRefused() {
        IOException e = assertThrows(IOException.class, () -> parse("version=1\nname=  \n"));
        assertTrue(e.getMessage().contains("name="), e.getMessage());
        assertTrue(e.getMessage().contains("m.jar"), e.getMessage());
    }

    @Test
    void anEmptyDependencyNameIsRefused() {
        IOException e = assertThrows(IOException.class, () -> parse("name=m\ndepends=a, ,b\n"));
        assertTrue(e.getMessage().contains("empty name in depends"), e.getMessage());
        assertThrows(IOException.class, () -> parse("name=m\ndepends=a,\n"));
    }

    // Found by fuzzing (ModinfoFuzzTest): a key with an escaped control character was quoted whole.
    @Test
    void aLongKeyWithAnEscapedControlIsQuotedShort() {
        IOException e = assertThrows(IOException.class, () -> parse("name=m\n" + "k\\u0009".repeat(5_000) + "=v\n"));
        assertTrue(e.getMessage().contains("has a control character (written as an escape)"), e.getMessage());
        assertTrue(e.getMessage().length() < 400, "a refusal quotes at most a bounded part of the key: " + e.getMessage().length());
    }

    @Test
    void aLongDependsIsQuotedShort() {
        IOException e = assertThrows(IOException.class, () -> parse("name=m\ndepends=" + "a,".repeat(50_000) + ",b\n"));
        assertTrue(e.getMessage().length() < 400, "a refusal quotes at most a bounded part of depends=: " + e.getMessage().length());
    }

    // Found by fuzzing (ModinfoFuzzTest): a malformed escape escaped as IllegalArgumentException.
    @Test
    void aMalformedEscapeIsNotAModuleFile() {
        IOException e = assertThrows(IOException.class, () -> parse("name=x\ndescription=\\u00zz\n"));
        assertTrue(e.getMessage().startsWith("m.jar: META-INF/pkvm/modinfo.properties is not a properties file: "), e.getMessage());
    }

    @Test
    void aControlCharacterIsRefusedWrittenOrEscaped() {
        IOException raw = assertThrows(IOException.class, () -> parse("name=x\ndescription=a\u001b[2J\n"));
        assertEquals("m.jar: META-INF/pkvm/modinfo.properties line 2 has a control character U+001B at column 14", raw.getMessage());
        IOException escaped = assertThrows(IOException.class, () -> parse("name=x\\nforged\n"));
        assertEquals("m.jar: META-INF/pkvm/modinfo.properties name= has a control character (written as an escape)", escaped.getMessage());
    }
}
