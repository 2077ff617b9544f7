package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JarImageTest {

    @Test
    void readsEveryFileEntryInArchiveOrderAndSkipsDirectories() throws IOException {
        byte[] bytes = TestJars.jar()
                .with("b/", new byte[0])
                .with("b/B.class", new byte[10])
                .with("a/A.class", new byte[5])
                .with("README", "hi")
                .bytes();
        JarImage jar = JarImage.read("m.jar", bytes);
        assertEquals(List.of("b/B.class", "a/A.class", "README"), List.copyOf(jar.entryNames()));
        assertArrayEquals("hi".getBytes(StandardCharsets.UTF_8), jar.entry("README").orElseThrow());
        assertTrue(jar.entry("missing").isEmpty());
        assertEquals("m.jar", jar.label());
        assertEquals("m.jar", jar.toString());
    }

    @Test
    void packagesAndClassBytesCountOnlyClassesOutsideMetaInf() throws IOException {
        byte[] bytes = TestJars.jar()
                .with("module-info.class", new byte[3])
                .with("com/acme/drv/Main.class", new byte[100])
                .with("com/acme/drv/hyp/Hyp.class", new byte[20])
                .with("META-INF/versions/9/x/Y.class", new byte[7])
                .with("com/acme/res.txt", "r")
                .bytes();
        JarImage jar = JarImage.read("m.jar", bytes);
        assertEquals(Set.of("com.acme.drv", "com.acme.drv.hyp"), jar.packages());
        assertEquals(3 + 100 + 20 + 7, jar.classBytes());
    }

    @Test
    void bytesThatAreNotAZipAreRefused() {
        assertThrows(IOException.class, () -> JarImage.read("x", "not a jar".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anEmptyArchiveIsRefused() {
        IOException e = assertThrows(IOException.class, () -> JarImage.read("empty.jar", TestJars.jar().bytes()));
        assertTrue(e.getMessage().contains("empty.jar"), e.getMessage());
    }

    @Test
    void entriesCannotBeModified() throws IOException {
        JarImage jar = JarImage.read("m.jar", TestJars.jar().with("a", "b").bytes());
        assertThrows(UnsupportedOperationException.class, () -> jar.entries().put("c", new byte[0]));
    }

    @Test
    void looksLikeZipChecksTheLocalHeaderMagic() {
        assertTrue(JarImage.looksLikeZip(TestJars.jar().with("a", "b").bytes()));
        assertFalse(JarImage.looksLikeZip(new byte[] {'P', 'K'}));
        assertFalse(JarImage.looksLikeZip("PK\u0005\u0006".getBytes(StandardCharsets.ISO_8859_1)));
        assertFalse(JarImage.looksLikeZip(new byte[0]));
    }

    // Found by fuzzing (JarImageFuzzTest): the local header's name was quoted with its control characters.
    @Test
    void aLocalHeaderNameIsQuotedPrintably() {
        byte[] zip = new RawZip().with("a.class", new byte[] {1}).bytes();
        zip[30] = 0x1b; // the local header's copy of the name: "\u001b.class"
        String message = assertThrows(org.pkvm4j.api.PkvmException.class, () -> JarImage.read("x.jar", zip)).getMessage();
        assertTrue(message.endsWith("x.jar!/a.class is named \\u001b.class in its local header"), message);
    }

    @Test
    void aLongInvalidNameIsQuotedShort() {
        byte[] name = new byte[5000];
        java.util.Arrays.fill(name, (byte) 0xff);
        String message = assertThrows(org.pkvm4j.api.PkvmException.class,
                () -> JarImage.read("x.jar", new RawZip().with(name, new byte[] {1}).bytes())).getMessage();
        assertTrue(message.contains("...) is not a valid UTF-8 name"), message);
        assertTrue(message.length() < 1000, message);
    }
}
