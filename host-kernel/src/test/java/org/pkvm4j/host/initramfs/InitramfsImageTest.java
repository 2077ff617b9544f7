package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The image format: round trip, and every region tampered, truncated or signed by another key. */
class InitramfsImageTest {
    private static final KeyPair KEY = ImageKeys.generate();
    private static final KeyPair OTHER = ImageKeys.generate();

    private static Map<String, byte[]> files() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("pkvm_driver.jar", "driver bytes, any content".getBytes(StandardCharsets.US_ASCII));
        files.put("kvstore.jar", "kvstore bytes".getBytes(StandardCharsets.US_ASCII));
        return files;
    }

    private static byte[] signed() {
        return InitramfsImage.pack(files(), Optional.of(KEY));
    }

    private static String refusal(byte[] image, KeyPair trusted) {
        return assertThrows(InvalidImageException.class,
                () -> InitramfsImage.parse(image, Optional.of(trusted.getPublic()))).getMessage();
    }

    private static int manifestEnd(byte[] image) {
        return InitramfsImage.HEADER_SIZE + ByteBuffer.wrap(image).getInt(12);
    }

    @Test
    void aSignedImageRoundTripsWithItsFilesSortedAndChecked() {
        byte[] image = signed();
        InitramfsImage img = InitramfsImage.parse(image, Optional.of(KEY.getPublic()));

        assertTrue(img.isSigned());
        assertEquals(java.util.List.of("kvstore.jar", "pkvm_driver.jar"), java.util.List.copyOf(img.files().keySet()));
        assertArrayEquals(files().get("kvstore.jar"), img.files().get("kvstore.jar"));
        assertEquals(Optional.of(ImageKeys.fingerprint(KEY.getPublic())), img.manifest().signer());
        assertEquals(ImageManifest.sha256(files().get("kvstore.jar")), img.manifest().find("kvstore").orElseThrow().sha256());
        assertEquals(ImageManifest.sha256(image), img.sha256());
        assertEquals(image.length, img.size());
        assertEquals(InitramfsImage.MAGIC, new String(image, 0, 8, StandardCharsets.US_ASCII));
    }

    @Test
    void anUnsignedImageOpensWithoutAKeyAndIsRefusedWithOne() {
        byte[] image = InitramfsImage.pack(files(), Optional.empty());
        InitramfsImage img = InitramfsImage.parse(image, Optional.empty());
        assertFalse(img.isSigned());
        assertTrue(img.manifest().signer().isEmpty());

        assertTrue(refusal(image, KEY).startsWith("the image is unsigned; the trusted key sha256:"), refusal(image, KEY));
    }

    @Test
    void anotherKeyIsAWrongKey() {
        String why = refusal(signed(), OTHER);
        assertTrue(why.startsWith("bad signature: the image names signer ") && why.endsWith("(wrong key)"), why);
    }

    /** Every single byte of the header, manifest, payload and signature matters. */
    @Test
    void flippingAnyByteOfTheImageIsRefused() {
        byte[] image = signed();
        int manifestEnd = manifestEnd(image);
        int signatureStart = image.length - InitramfsImage.ED25519_SIGNATURE_SIZE;
        for (int i = 0; i < image.length; i++) {
            byte[] bad = image.clone();
            bad[i] ^= 0x01;
            String why = refusal(bad, KEY);
            String region = i < InitramfsImage.HEADER_SIZE ? "header" : i < manifestEnd ? "manifest"
                    : i < signatureStart ? "payload" : "signature";
            if (region.equals("payload")) {
                assertTrue(why.endsWith("its bytes differ from the manifest (SHA-256 mismatch)"), i + ": " + why);
            } else if (!region.equals("header")) {
                assertTrue(why.startsWith("bad signature"), region + " byte " + i + ": " + why);
            }
        }
    }

    @Test
    void eachHeaderFieldNamesItsFault() {
        assertTrue(refusal(patch(signed(), 0, (byte) 'X'), KEY).startsWith("not a pkvm4j initramfs image"));
        assertTrue(refusal(patch(signed(), 9, (byte) 2), KEY).contains("format version 2 is not supported"));
        assertTrue(refusal(patch(signed(), 11, (byte) 7), KEY).contains("signature algorithm 7"));
        assertTrue(refusal(patch(signed(), 31, (byte) 1), KEY).contains("reserved"));
        // Lengths that still add up to the file's size move bytes between regions: the signature catches it.
        byte[] shifted = signed();
        ByteBuffer.wrap(shifted).putInt(12, ByteBuffer.wrap(shifted).getInt(12) - 1).putLong(16,
                ByteBuffer.wrap(shifted).getLong(16) + 1);
        assertTrue(refusal(shifted, KEY).startsWith("bad signature"), refusal(shifted, KEY));
    }

    @Test
    void aTruncatedOrExtendedImageIsRefused() {
        byte[] image = signed();
        for (int length : new int[] {0, 7, InitramfsImage.HEADER_SIZE - 1}) {
            assertTrue(refusal(Arrays.copyOf(image, length), KEY).startsWith("truncated: " + length + " bytes"));
        }
        for (int length : new int[] {InitramfsImage.HEADER_SIZE, manifestEnd(image), image.length - 1}) {
            String why = refusal(Arrays.copyOf(image, length), KEY);
            assertEquals("truncated: the header announces " + image.length + " bytes, the image has " + length, why);
        }
        assertEquals("3 unexpected bytes after the signature", refusal(Arrays.copyOf(image, image.length + 3), KEY));
    }

    @Test
    void withoutAKeyThePayloadIsStillChecked() {
        byte[] image = signed();
        byte[] bad = patch(image, image.length - InitramfsImage.ED25519_SIGNATURE_SIZE - 1, (byte) '!');
        InvalidImageException e = assertThrows(InvalidImageException.class, () -> InitramfsImage.parse(bad, Optional.empty()));
        assertTrue(e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
    }

    @Test
    void aNameThatIsNotAModuleFileCannotBePacked() {
        Map<String, byte[]> files = Map.of("../etc/passwd.jar", new byte[1]);
        assertThrows(InvalidImageException.class, () -> InitramfsImage.pack(files, Optional.of(KEY)));
    }

    private static byte[] patch(byte[] image, int at, byte value) {
        byte[] copy = image.clone();
        copy[at] = value;
        return copy;
    }
}
