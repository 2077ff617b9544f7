package org.pkvm4j.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.InitramfsImage;

/** Initramfs images of the bundled module files, and key files, for the signed-boot tests. */
final class SignedImages {
    private SignedImages() {
    }

    /** The bundled module file {@code name}. */
    static Path bundled(String name) {
        return Path.of(System.getProperty("pkvm4j.it.initramfs")).resolve(name + ".jar");
    }

    /** Writes {@code key} and {@code key.pub} into a fresh folder; returns the private key file. */
    static Path keyFiles(KeyPair pair) {
        Path key = Devices.newInitramfs().resolve("key");
        ImageKeys.write(pair, key);
        return key;
    }

    /** An image of the bundled modules {@code names}, signed with {@code key} if present, in a fresh folder. */
    static Path image(Optional<KeyPair> key, String... names) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try {
            for (String name : names) {
                files.put(name + ".jar", Files.readAllBytes(bundled(name)));
            }
            return Files.write(Devices.newInitramfs().resolve("initramfs.img"), InitramfsImage.pack(files, key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Flips one bit of {@code file} at {@code offset} (negative: from the end). */
    static Path flip(Path file, int offset) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            int at = offset < 0 ? bytes.length + offset : offset;
            bytes[at] ^= 0x04;
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
