package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.ImageManifest;
import org.pkvm4j.host.initramfs.InitramfsImage;
import org.pkvm4j.host.initramfs.InvalidImageException;

/**
 * An initramfs image (header, manifest, payload, signature) and its manifest alone: opened, or
 * refused with an {@link InvalidImageException} saying why. The image is read both without a key
 * (structure and digests) and with the key of the seed image (the signature too).
 */
class InitramfsImageFuzzTest {
    /** The public key the seed image ({@code InitramfsImageFuzzTestInputs/image/bundled.img}) is signed with. */
    private static final PublicKey TRUSTED = trusted();

    private static PublicKey trusted() {
        try (InputStream in = InitramfsImageFuzzTest.class.getResourceAsStream("seeds/initramfs-test.pub")) {
            Path f = Files.createTempFile("pkvm4j-fuzz", ".pub");
            f.toFile().deleteOnExit();
            Files.write(f, in.readAllBytes());
            return ImageKeys.readPublic(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void image(byte[] input) {
        Contract.succeedsOrRefuses("initramfs image", () -> check(InitramfsImage.parse(input, Optional.empty())),
                InvalidImageException.class);
        Contract.succeedsOrRefuses("signed initramfs image", () -> {
            InitramfsImage image = InitramfsImage.parse(input, Optional.of(TRUSTED));
            if (!image.isSigned()) {
                throw new AssertionError("an image opened with a trusted key is not signed");
            }
            check(image);
        }, InvalidImageException.class);
    }

    @FuzzTest
    void manifest(byte[] input) {
        Contract.succeedsOrRefuses("initramfs manifest", () -> {
            ImageManifest m = ImageManifest.parse(input);
            // The manifest's text is what is signed: what parses must print back to itself.
            ImageManifest again = ImageManifest.parse(m.bytes());
            if (!again.equals(m)) {
                throw new AssertionError("the manifest does not read back what it writes: " + m + " became " + again);
            }
        }, InvalidImageException.class);
    }

    private static void check(InitramfsImage image) {
        long total = 0;
        for (Map.Entry<String, byte[]> e : image.files().entrySet()) {
            if (!ImageManifest.isValidName(e.getKey())) {
                throw new AssertionError("an opened image holds a file with an invalid name: " + e.getKey());
            }
            total += e.getValue().length;
        }
        if (total > image.size()) {
            throw new AssertionError("the files of an opened image are larger than the image");
        }
    }
}
