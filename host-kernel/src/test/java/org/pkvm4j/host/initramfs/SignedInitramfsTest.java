package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.attest.Measurement;
import org.pkvm4j.host.attest.MeasurementLog;
import org.pkvm4j.host.diag.BootConfigException;

/** Mounting an image or a directory with and without a trusted key; measuring what is read. */
class SignedInitramfsTest {
    private static final KeyPair KEY = ImageKeys.generate();

    @TempDir
    Path dir;

    /** Built once per name: a jar's bytes hold entry times, so two builds may differ. */
    private static final Map<String, byte[]> MODULES = new java.util.concurrent.ConcurrentHashMap<>();

    private static byte[] module(String name) {
        return MODULES.computeIfAbsent(name, n -> TestJars.jar().with(Modinfo.ENTRY, "name=" + n + "\nversion=1\n").bytes());
    }

    private Path image(Optional<KeyPair> key) throws IOException {
        byte[] image = InitramfsImage.pack(Map.of("alpha.jar", module("alpha"), "beta.jar", module("beta")), key);
        return Files.write(dir.resolve(key.isPresent() ? "signed.img" : "unsigned.img"), image);
    }

    @Test
    void aVerifiedImageServesItsBytesWithTheInheritedSignature() throws IOException {
        Path image = image(Optional.of(KEY));
        Initramfs initramfs = Initramfs.mount(image, Optional.of(KEY.getPublic()));

        assertTrue(initramfs.isImage());
        assertTrue(initramfs.rejection().isEmpty());
        assertEquals(List.of("alpha.jar", "beta.jar"), initramfs.names());
        ModuleFile beta = initramfs.read("beta").orElseThrow();
        assertEquals("beta", beta.name());
        assertEquals(ImageManifest.sha256(module("beta")), beta.sha256());
        ModuleSignature sig = beta.signature().orElseThrow();
        assertEquals(ImageKeys.fingerprint(KEY.getPublic()), sig.keyFingerprint());
        assertTrue(sig.describe().startsWith("initramfs (ed25519, key fingerprint sha256:"), sig.describe());
        assertTrue(initramfs.read("gamma").isEmpty());
        assertTrue(initramfs.describe().contains("signature verified (ed25519, key sha256:"), initramfs.describe());
    }

    /** Scenario: the image file changes on disk after the mount; the loader still gets the verified bytes. */
    @Test
    void aFileChangedAfterVerificationCannotSlipIn() throws IOException {
        Path image = image(Optional.of(KEY));
        Initramfs initramfs = Initramfs.mount(image, Optional.of(KEY.getPublic()));
        byte[] other = InitramfsImage.pack(Map.of("alpha.jar", module("alpha"), "beta.jar",
                TestJars.jar().with(Modinfo.ENTRY, "name=beta\nversion=evil\n").bytes()), Optional.of(KEY));
        Files.write(image, other);

        ModuleFile beta = initramfs.read("beta").orElseThrow();
        assertEquals("1", beta.modinfo().version());
        assertEquals(ImageManifest.sha256(module("beta")), beta.sha256());
    }

    @Test
    void withATrustedKeyADirectoryAnUnsignedImageOrATamperedOneIsRejected() throws IOException {
        Files.write(dir.resolve("alpha.jar"), module("alpha"));
        Initramfs directory = Initramfs.mount(dir, Optional.of(KEY.getPublic()));
        assertTrue(directory.rejection().orElseThrow().startsWith("a directory carries no signature"));
        assertFalse(directory.isImage());
        PkvmException e = assertThrows(PkvmException.class, () -> directory.read("alpha"));
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(directory.names().isEmpty());

        Initramfs unsigned = Initramfs.mount(image(Optional.empty()), Optional.of(KEY.getPublic()));
        assertTrue(unsigned.rejection().orElseThrow().startsWith("the image is unsigned"));
        assertTrue(unsigned.describe().contains("REJECTED"));

        Path signed = image(Optional.of(KEY));
        byte[] bytes = Files.readAllBytes(signed);
        bytes[bytes.length - 70] ^= 0x20;
        Files.write(signed, bytes);
        Initramfs tampered = Initramfs.mount(signed, Optional.of(KEY.getPublic()));
        assertTrue(tampered.rejection().orElseThrow().contains("SHA-256 mismatch"));
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class, () -> tampered.read("beta")).errno());
        assertEquals(ImageManifest.sha256(bytes), tampered.measurements().initramfs().sha256(),
                "a rejected image is still measured");
    }

    @Test
    void withoutAKeyAnImageMountsUnverifiedAndItsModulesCarryNoSignature() throws IOException {
        Initramfs initramfs = Initramfs.mount(image(Optional.of(KEY)), Optional.empty());
        assertTrue(initramfs.describe().endsWith("signed, not verified (no trusted key)"), initramfs.describe());
        assertTrue(initramfs.read("alpha").orElseThrow().signature().isEmpty());
        assertTrue(Initramfs.mount(image(Optional.empty()), Optional.empty()).describe().endsWith("unsigned"));
    }

    @Test
    void aPathThatIsNeitherIsAConfigurationError() {
        assertThrows(BootConfigException.class, () -> Initramfs.mount(dir.resolve("absent"), Optional.empty()));
    }

    /** Scenario: the directory's digest is the SHA-256 of the manifest an unsigned image of it carries. */
    @Test
    void readsAreMeasuredInOrderAndSplitAtTheFreeze() throws IOException {
        Files.write(dir.resolve("alpha.jar"), module("alpha"));
        Files.write(dir.resolve("beta.jar"), module("beta"));
        Initramfs initramfs = Initramfs.mount(dir, Optional.empty());
        MeasurementLog log = initramfs.measurements();
        byte[] unsignedImage = InitramfsImage.pack(Map.of("alpha.jar", module("alpha"), "beta.jar", module("beta")),
                Optional.empty());
        String manifest = InitramfsImage.parse(unsignedImage, Optional.empty()).manifest().text();
        assertEquals(ImageManifest.sha256(manifest.getBytes(StandardCharsets.UTF_8)), log.initramfs().sha256());
        assertEquals(Measurement.INITRAMFS_DIRECTORY, log.initramfs().kind());

        initramfs.read("beta");
        initramfs.read("alpha");
        log.freeze();
        initramfs.read("beta");

        assertEquals(List.of("beta", "alpha"), log.beforeFreeze().stream().map(Measurement::name).toList());
        assertEquals(List.of("beta"), log.afterFreeze().stream().map(Measurement::name).toList());
        assertEquals(List.of(1, 2), log.beforeFreeze().stream().map(Measurement::index).toList());
        assertEquals(ImageManifest.sha256(module("beta")), log.afterFreeze().getFirst().sha256());
        assertEquals(4, log.entries().size());
    }

    /**
     * Scenario: the same module bytes in a signed image and in a directory, read alternately in
     * one JVM. Equal digests, yet each read keeps its own path and signature, and every read is
     * measured, again and again, in its own initramfs's log.
     */
    @Test
    void theSameBytesSignedAndUnsignedKeepTheirOwnPathAndSignatureAndAreMeasuredOnEveryRead() throws IOException {
        Path image = image(Optional.of(KEY));
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Files.write(plain.resolve("alpha.jar"), module("alpha"));
        Initramfs signed = Initramfs.mount(image, Optional.of(KEY.getPublic()));
        Initramfs unsigned = Initramfs.mount(plain, Optional.empty());
        String digest = ImageManifest.sha256(module("alpha"));

        for (int read = 1; read <= 3; read++) {
            ModuleFile fromImage = signed.read("alpha").orElseThrow();
            ModuleFile fromDir = unsigned.read("alpha").orElseThrow();

            assertEquals(digest, fromImage.sha256());
            assertEquals(digest, fromDir.sha256());
            assertEquals(image.toAbsolutePath().normalize().resolve("alpha.jar"), fromImage.path());
            assertEquals(plain.toAbsolutePath().normalize().resolve("alpha.jar"), fromDir.path());
            assertEquals(ImageKeys.fingerprint(KEY.getPublic()), fromImage.signature().orElseThrow().keyFingerprint());
            assertTrue(fromDir.signature().isEmpty(), fromDir.modinfoRows().get("sig"));
            assertEquals("none", fromDir.modinfoRows().get("sig"));
            for (Initramfs initramfs : List.of(signed, unsigned)) {
                List<Measurement> modules = initramfs.measurements().beforeFreeze();
                assertEquals(read, modules.size(), initramfs.describe());
                assertEquals(digest, modules.getLast().sha256());
                assertEquals("alpha.jar", modules.getLast().file());
            }
        }
    }
}
