package org.pkvm4j.tools.initramfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.ImageManifest;
import org.pkvm4j.host.initramfs.Initramfs;
import org.pkvm4j.host.initramfs.InitramfsImage;
import org.pkvm4j.host.initramfs.ModuleFile;

/**
 * Packs a directory of module files into one initramfs image, signed if a key is given
 * (docs/adr/0006-signed-initramfs.md); and makes the key.
 *
 * <p>Kernel counterpart: {@code usr/gen_initramfs.sh} with {@code scripts/sign-file}. Every file is
 * read as modprobe would read it first, so an image never carries a file the device would refuse
 * by name or shape. The image format itself ({@link InitramfsImage}) stays beside its reader in
 * the kernel.
 */
public final class InitramfsPacker {
    private InitramfsPacker() {
    }

    /** Thrown when a file of the directory cannot go into an image; the message says why. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        private final ErrorCode code;

        RefusedException(ErrorCode code, String message) {
            super(message);
            this.code = code;
        }

        /** The refusal's stable code, printed with the message. */
        public ErrorCode code() {
            return code;
        }
    }

    /**
     * What was written.
     *
     * @param image the image file
     * @param files how many module files it holds
     * @param bytes its size
     * @param signer the key fingerprint, if signed
     */
    public record Packed(Path image, int files, int bytes, Optional<String> signer) {
    }

    /**
     * Packs every module file of {@code dir} into {@code image}, signed with the private key at
     * {@code key} if present.
     *
     * @throws RefusedException if a file is not a module file named {@code <module>.jar}, or there are none
     * @throws BootConfigException if {@code dir} is not a directory, the key is unusable or the image
     *     cannot be written
     */
    public static Packed pack(Path dir, Path image, Optional<Path> key) throws RefusedException {
        if (!Files.isDirectory(dir)) {
            throw new BootConfigException(dir + " is not a directory; pass a folder of module files");
        }
        Optional<KeyPair> pair = key.map(ImageKeys::readPrivate);
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!Files.isRegularFile(p) || !ImageManifest.isValidName(name)) {
                    throw new RefusedException(ErrorCode.LOAD_NOT_MODULE_FILE, p + " is not a module file name: an image holds only files named <module>.jar"
                            + " (letters, digits, - and _)");
                }
                byte[] bytes = Files.readAllBytes(p);
                ModuleFile module = ModuleFile.read(p, bytes, Optional.empty());
                if (!module.name().equals(Initramfs.moduleName(p))) {
                    throw new RefusedException(ErrorCode.LOAD_NOT_MODULE_FILE, p + " holds module " + module.name() + "; name it " + module.name() + ".jar");
                }
                files.put(name, bytes);
            }
        } catch (PkvmException e) {
            throw new RefusedException(ErrorCode.of(e), e.getMessage());
        } catch (IOException e) {
            throw new RefusedException(ErrorCode.CLI_FILE, "cannot read " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new RefusedException(ErrorCode.CLI_FILE, dir + " holds no module files");
        }
        byte[] packed = InitramfsImage.pack(files, pair);
        try {
            Files.write(image, packed);
        } catch (IOException e) {
            throw new BootConfigException("cannot write " + image + ": " + e.getMessage(), e);
        }
        return new Packed(image, files.size(), packed.length, pair.map(p -> ImageKeys.fingerprint(p.getPublic())));
    }

    /**
     * A fresh Ed25519 key pair written to {@code key} (PKCS#8) and {@code key.pub}; returns the
     * public key's fingerprint.
     *
     * @throws BootConfigException if a key file exists already or cannot be written
     */
    public static String keygen(Path key) {
        KeyPair pair = ImageKeys.generate();
        ImageKeys.write(pair, key);
        return ImageKeys.fingerprint(pair.getPublic());
    }
}
