package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageManifestTest {
    private static final String HEX = "ab".repeat(32);

    private static String refusal(String text) {
        return assertThrows(InvalidImageException.class,
                () -> ImageManifest.parse(text.getBytes(StandardCharsets.UTF_8))).getMessage();
    }

    @Test
    void theCanonicalTextRoundTrips() {
        ImageManifest m = new ImageManifest(Optional.of("sha256:" + HEX),
                List.of(new ImageManifest.Entry("a.jar", 3, HEX), new ImageManifest.Entry("b-c.jar", 0, HEX)));
        String text = "pkvm4j-initramfs-manifest 1\nsigner sha256:" + HEX + "\nfile a.jar 3 sha256:" + HEX
                + "\nfile b-c.jar 0 sha256:" + HEX + "\n";
        assertEquals(text, m.text());
        assertEquals(m, ImageManifest.parse(m.bytes()));
        assertEquals(3, m.payloadSize());
        assertEquals("b_c", m.find("b_c").orElseThrow().module());
    }

    @Test
    void anythingButTheCanonicalFormIsRefused() {
        String head = ImageManifest.FIRST_LINE + "\n";
        assertTrue(refusal("pkvm4j-initramfs-manifest 2\n").startsWith("manifest: does not start with"));
        assertTrue(refusal(head + "file a.jar 3 sha256:" + HEX).contains("does not end with a newline"));
        assertTrue(refusal(head + "file a.jar 03 sha256:" + HEX + "\n").contains("line 2: size 03"));
        assertTrue(refusal(head + "file a.jar 3 sha256:" + HEX.toUpperCase() + "\n").contains("line 2: expected"));
        assertTrue(refusal(head + "file a.jar  3 sha256:" + HEX + "\n").contains("line 2: expected"));
        assertTrue(refusal(head + "file b.jar 3 sha256:" + HEX + "\nfile a.jar 3 sha256:" + HEX + "\n").contains("not sorted"));
        assertTrue(refusal(head + "file a-b.jar 3 sha256:" + HEX + "\nfile a_b.jar 3 sha256:" + HEX + "\n")
                .contains("module a_b appears twice"));
        assertTrue(refusal(head + "file x/a.jar 3 sha256:" + HEX + "\n").contains("not a module file name"));
        assertTrue(refusal(head + "file a.jar 3 sha256:" + HEX + "\nsigner sha256:" + HEX + "\n").contains("line 3"));
        assertTrue(refusal(head + "file \u00e9.jar 3 sha256:" + HEX + "\n").contains("not printable ASCII"));
    }

    // Found by fuzzing (InitramfsImageFuzzTest#manifest): DEL passed the printable check and was quoted.
    @Test
    void delIsNotPrintable() {
        assertEquals("manifest: not printable ASCII text", refusal(ImageManifest.FIRST_LINE + "\nfile a\u007f.jar 3 x\n"));
    }
}
