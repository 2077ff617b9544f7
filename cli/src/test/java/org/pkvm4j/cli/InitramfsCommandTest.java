package org.pkvm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.initramfs.Modinfo;

/** {@code pkvm initramfs keygen|pack|verify|list} end to end through {@link Main}, with their exit codes. */
class InitramfsCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Path modules;

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private static byte[] moduleFile(String name) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes)) {
            jar.putNextEntry(new ZipEntry(Modinfo.ENTRY));
            jar.write(("name=" + name + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    @BeforeEach
    void modules() throws IOException {
        modules = Files.createDirectory(dir.resolve("initramfs"));
        Files.write(modules.resolve("alpha.jar"), moduleFile("alpha"));
        Files.write(modules.resolve("beta.jar"), moduleFile("beta"));
    }

    private String path(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void keygenPackVerifyAndListSucceed() {
        assertEquals(0, run("initramfs", "keygen", "-o", path("k")), err::toString);
        assertTrue(out.toString().contains("key fingerprint sha256:"));
        assertEquals(0, run("initramfs", "pack", modules.toString(), "-o", path("img"), "--key", path("k")), err::toString);
        assertTrue(out.toString().contains("2 module files") && out.toString().contains("signed by sha256:"), out::toString);
        assertEquals(0, run("initramfs", "verify", path("img"), "--key", path("k.pub")), err::toString);
        assertTrue(out.toString().contains(": valid: 2 module files"), out::toString);
        assertEquals(0, run("initramfs", "list", path("img")), err::toString);
        assertTrue(out.toString().contains("alpha.jar") && out.toString().contains("signature: ed25519, signer sha256:"));
    }

    @Test
    void anInvalidImageExitsOneWithTheReason() throws IOException {
        run("initramfs", "keygen", "-o", path("k"));
        run("initramfs", "keygen", "-o", path("other"));
        run("initramfs", "pack", modules.toString(), "-o", path("img"), "--key", path("k"));
        assertEquals(1, run("initramfs", "verify", path("img"), "--key", path("other.pub")));
        assertTrue(err.toString().contains("INVALID: bad signature") && err.toString().contains("(wrong key)"), err::toString);

        byte[] image = Files.readAllBytes(dir.resolve("img"));
        Files.write(dir.resolve("short"), java.util.Arrays.copyOf(image, image.length / 2));
        assertEquals(1, run("initramfs", "verify", path("short"), "--key", path("k.pub")));
        assertTrue(err.toString().contains("INVALID: truncated: the header announces"), err::toString);
        assertEquals(1, run("initramfs", "list", path("short")));

        assertEquals(0, run("initramfs", "pack", modules.toString(), "-o", path("plain")), err::toString);
        assertTrue(out.toString().contains("unsigned"));
        assertEquals(1, run("initramfs", "verify", path("plain"), "--key", path("k.pub")));
        assertTrue(err.toString().contains("INVALID: the image is unsigned"), err::toString);
        assertFalse(err.toString().contains("\tat "), "no stack trace");
        assertTrue(err.toString().lines().allMatch(l -> l.endsWith(" [PKVM-BOOT-INITRAMFS-REJECTED]")),
                "every refusal carries its code: " + err);
    }

    @Test
    void badInputToPackIsNamed() throws IOException {
        run("initramfs", "keygen", "-o", path("k"));
        assertEquals(2, run("initramfs", "pack", path("absent"), "-o", path("img")));
        assertTrue(err.toString().contains("is not a directory"), err::toString);

        assertEquals(2, run("initramfs", "pack", modules.toString(), "-o", path("img"), "--key", path("k.pub")));
        assertTrue(err.toString().contains("holds a public key; pack signs with the private key"), err::toString);

        Files.writeString(modules.resolve("notes.txt"), "x");
        assertEquals(1, run("initramfs", "pack", modules.toString(), "-o", path("img")));
        assertTrue(err.toString().contains("notes.txt is not a module file name"), err::toString);
        assertTrue(err.toString().strip().endsWith(" [PKVM-LOAD-NOT-MODULE-FILE]"), err::toString);
        Files.delete(modules.resolve("notes.txt"));

        Files.writeString(modules.resolve("gamma.jar"), "not a jar");
        assertEquals(1, run("initramfs", "pack", modules.toString(), "-o", path("img")));
        assertTrue(err.toString().contains("gamma.jar is not a module file"), err::toString);
        Files.write(modules.resolve("gamma.jar"), moduleFile("delta"));
        assertEquals(1, run("initramfs", "pack", modules.toString(), "-o", path("img")));
        assertTrue(err.toString().contains("holds module delta; name it delta.jar [PKVM-LOAD-NOT-MODULE-FILE]"), err::toString);
        assertFalse(Files.exists(dir.resolve("img")), "nothing written for refused input");
    }

    @Test
    void modinfoShowsTheSignatureAModuleInheritsFromAVerifiedImage() throws IOException {
        run("initramfs", "keygen", "-o", path("k"));
        run("initramfs", "pack", modules.toString(), "-o", path("img"), "--key", path("k"));
        assertEquals(0, run("modinfo", "beta", "--initramfs", path("img"), "--key", path("k.pub")), err::toString);
        assertTrue(out.toString().contains("name:        beta"), out::toString);
        assertTrue(out.toString().contains("sig:         initramfs (ed25519, key fingerprint sha256:"), out::toString);
        assertEquals(0, run("modinfo", modules.resolve("beta.jar").toString()), err::toString);
        assertTrue(out.toString().contains("sig:         none"), out::toString);

        byte[] image = Files.readAllBytes(dir.resolve("img"));
        image[image.length - 1] ^= 1;
        Files.write(dir.resolve("img"), image);
        assertEquals(1, run("modinfo", "beta", "--initramfs", path("img"), "--key", path("k.pub")));
        assertTrue(err.toString().contains("was rejected (bad signature"), err::toString);
        assertEquals(1, run("modinfo", "gamma", "--initramfs", modules.toString()));
        assertTrue(err.toString().contains("module gamma not found"), err::toString);
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run("initramfs", "verify", path("img")));
        assertTrue(err.toString().contains("Missing required option: '--key=KEY.pub'"), err::toString);
        assertEquals(2, run("initramfs", "verify", path("img"), "--key", path("absent.pub")));
        assertTrue(err.toString().contains("does not exist"), err::toString);
        assertEquals(0, run("initramfs", "keygen", "-o", path("k")));
        assertEquals(2, run("initramfs", "keygen", "-o", path("k")));
        assertTrue(err.toString().contains("exists"), err::toString);
        assertEquals(2, run("initramfs", "pack", modules.toString()));
    }
}
