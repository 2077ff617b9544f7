package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.initramfs.ImageKeys;

/**
 * The initramfs signing key files ({@code pkvm initramfs pack --key}, {@code --trusted-key}): a PEM
 * Ed25519 private or public key, read, or refused with a {@link BootConfigException} naming the
 * file and what is wrong with it.
 */
class KeyFileFuzzTest {
    private static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path dir = Files.createTempDirectory("pkvm4j-fuzz-keys");
            dir.toFile().deleteOnExit();
            Path f = dir.resolve("fuzz.pem");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest
    void readPublic(byte[] input) throws IOException {
        Files.write(FILE, input);
        Contract.succeedsOrRefuses("public key file", () -> namingTheFile(() -> ImageKeys.fingerprint(ImageKeys.readPublic(FILE))),
                BootConfigException.class);
    }

    @FuzzTest
    void readPrivate(byte[] input) throws IOException {
        Files.write(FILE, input);
        Contract.succeedsOrRefuses("private key file", () -> namingTheFile(() -> ImageKeys.fingerprint(ImageKeys.readPrivate(FILE).getPublic())),
                BootConfigException.class);
    }

    /** Runs {@code read}; a refusal must name the key file, as the CLI prints it alone. */
    private static void namingTheFile(Contract.Call read) throws Throwable {
        try {
            read.run();
        } catch (BootConfigException e) {
            if (!String.valueOf(e.getMessage()).contains(FILE.toString())) {
                throw new AssertionError("a key file error that does not name the file: " + e.getMessage(), e);
            }
            throw e;
        }
    }
}
