package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.diag.BootConfigException;

class ImageKeysTest {
    @TempDir
    Path dir;

    private String refusal(Runnable r) {
        return assertThrows(BootConfigException.class, r::run).getMessage();
    }

    @Test
    void keysRoundTripAsPemAndThePublicKeyIsDerivedFromThePrivateOne() throws Exception {
        KeyPair pair = ImageKeys.generate();
        Path key = dir.resolve("k");
        ImageKeys.write(pair, key);

        assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----\n"));
        assertTrue(Files.readString(dir.resolve("k.pub")).startsWith("-----BEGIN PUBLIC KEY-----\n"));
        assertEquals(pair.getPublic(), ImageKeys.readPublic(dir.resolve("k.pub")));
        KeyPair read = ImageKeys.readPrivate(key);
        assertEquals(pair.getPrivate(), read.getPrivate());
        assertEquals(ImageKeys.fingerprint(pair.getPublic()), ImageKeys.fingerprint(read.getPublic()));
        if (Files.getFileStore(key).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        }
    }

    @Test
    void keysAreNeverOverwritten() {
        Path key = dir.resolve("k");
        ImageKeys.write(ImageKeys.generate(), key);
        assertTrue(refusal(() -> ImageKeys.write(ImageKeys.generate(), key)).contains("exists"));
    }

    @Test
    void theWrongKindOfKeyFileIsNamed() throws Exception {
        Path key = dir.resolve("k");
        ImageKeys.write(ImageKeys.generate(), key);
        Path pub = dir.resolve("k.pub");
        assertTrue(refusal(() -> ImageKeys.readPublic(key)).contains("holds a private key; pass the public key"));
        assertTrue(refusal(() -> ImageKeys.readPrivate(pub)).contains("holds a public key; pack signs with the private key"));
        assertTrue(refusal(() -> ImageKeys.readPublic(dir.resolve("absent.pub"))).contains("does not exist"));
        Path text = Files.writeString(dir.resolve("text.pub"), "hello");
        assertTrue(refusal(() -> ImageKeys.readPublic(text)).contains("it is not a PEM file"));
        Path cert = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertTrue(refusal(() -> ImageKeys.readPublic(cert)).contains("it holds a certificate"));
    }

    @Test
    void anRsaOrEcKeyIsNotEd25519() throws Exception {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
            KeyPair pair = g.generateKeyPair();
            Path pub = Files.writeString(dir.resolve(algorithm + ".pub"), "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
            Path priv = Files.writeString(dir.resolve(algorithm), "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
            assertTrue(refusal(() -> ImageKeys.readPublic(pub)).contains("is an " + algorithm + " key; initramfs images are signed with Ed25519"));
            assertTrue(refusal(() -> ImageKeys.readPrivate(priv)).contains("is an " + algorithm + " key"));
        }
    }

    // Found by fuzzing (KeyFileFuzzTest): the PEM label was quoted with its C1 control characters.
    @Test
    void aForeignPemLabelIsQuotedPrintablyAndShort() throws Exception {
        Path odd = Files.write(dir.resolve("odd.pem"), ("-----BEGIN X\u0085\u009b2J" + "Y".repeat(500) + "-----\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        String message = refusal(() -> ImageKeys.readPublic(odd));
        assertTrue(message.contains("it holds a x\\u0085\\u009b2jyyy"), message);
        assertTrue(message.chars().noneMatch(Character::isISOControl), message);
        assertTrue(message.length() < 400, message);
    }

    // Found by fuzzing (KeyFileFuzzTest, both): an END line before the BEGIN line's end, or sharing its
    // dashes, was a StringIndexOutOfBoundsException.
    @Test
    void anEndLineBeforeTheBodyIsRefusedNamingTheFile() throws Exception {
        for (String type : new String[] {"PUBLIC KEY", "PRIVATE KEY"}) {
            for (String text : new String[] {
                    "-----BEGIN " + type + "-----END " + type + "-----\nMCowBQYDK2VwAyEA\n",
                    "-----END " + type + "-----\n-----BEGIN " + type + "-----\nMCowBQYDK2VwAyEA\n",
                    "-----BEGIN " + type + "-----\nMCowBQYDK2VwAyEA\n"}) {
                Path key = Files.writeString(dir.resolve("k.pem"), text);
                String message = refusal(() -> {
                    if (type.startsWith("PUBLIC")) {
                        ImageKeys.readPublic(key);
                    } else {
                        ImageKeys.readPrivate(key);
                    }
                });
                assertEquals(key + " is not an Ed25519 " + type.toLowerCase() + " in PEM: no -----END " + type
                        + "----- after its -----BEGIN " + type + "-----; make keys with ./pkvm initramfs keygen", message);
            }
        }
    }
}
