package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.ImageManifest;
import org.pkvm4j.host.initramfs.InitramfsImage;
import org.pkvm4j.host.initramfs.InvalidImageException;
import org.pkvm4j.tools.initramfs.InitramfsPacker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm initramfs keygen|pack|verify|list}: signed initramfs images
 * (docs/adr/0006-signed-initramfs.md). Exit codes: 0 success (verify: the image is valid), 1 the
 * input was refused (verify: invalid, with the reason; pack: a file that is not a module), 2 a
 * usage or configuration error (missing directory, unusable key file).
 */
@Command(name = "initramfs", mixinStandardHelpOptions = true,
        description = "Make, sign, verify and list initramfs images (Ed25519).",
        subcommands = {InitramfsCommand.Keygen.class, InitramfsCommand.Pack.class, InitramfsCommand.Verify.class,
                InitramfsCommand.ListImage.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the command ran and found a failure", "2:usage error"})
final class InitramfsCommand {

    /** {@code keygen -o KEY}: a fresh Ed25519 key pair, KEY (PKCS#8) and KEY.pub (SubjectPublicKeyInfo). */
    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Generate an Ed25519 key pair: KEY (private, PKCS#8 PEM) and KEY.pub (public, X.509 PEM).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:written", "2:usage or configuration error (a key file exists already or cannot be written)"})
    static final class Keygen implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Option(names = {"-o", "--output"}, paramLabel = "KEY", required = true, description = "The private key file.")
        private Path key;

        @Override
        public Integer call() {
            String fingerprint = InitramfsPacker.keygen(key);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("wrote %s and %s%nkey fingerprint %s%n", key, ImageKeys.publicKeyFile(key), fingerprint);
            out.flush();
            return 0;
        }
    }

    /** {@code pack DIR -o IMAGE [--key KEY]}: every module file of DIR into one image. */
    @Command(name = "pack", mixinStandardHelpOptions = true,
            description = "Pack a directory of module files into an initramfs image, signed with KEY if given.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:written", "1:a file in DIR is not a module file, or DIR holds none", "2:usage or configuration error (DIR is not a directory, the key is unreadable, the image cannot be written)"})
    static final class Pack implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "A directory of module files (<module>.jar), nothing else.")
        private Path dir;

        @Option(names = {"-o", "--output"}, paramLabel = "IMAGE", required = true, description = "The image to write.")
        private Path image;

        @Option(names = "--key", paramLabel = "KEY", description = "Ed25519 private key (PEM); without it the image is unsigned.")
        private Path key;

        @Override
        public Integer call() {
            InitramfsPacker.Packed packed;
            try {
                packed = InitramfsPacker.pack(dir, image, Optional.ofNullable(key));
            } catch (InitramfsPacker.RefusedException e) {
                return refuse(e.code(), e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("wrote %s: %d module files, %d bytes, %s%n", image, packed.files(), packed.bytes(),
                    packed.signer().map(s -> "signed by " + s).orElse("unsigned"));
            out.flush();
            return 0;
        }

        private int refuse(ErrorCode code, String why) {
            spec.commandLine().getErr().println("pkvm initramfs pack: " + why + " [" + code.code() + "]");
            return Main.FAILED;
        }
    }

    /** {@code verify IMAGE --key KEY.pub}: 0 when the image is signed by the key and intact. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verify an image against a trusted public key: exit 0 valid, 1 invalid (the reason is printed).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:the image is valid and signed by KEY", "1:invalid (the reason is printed)", "2:usage error"})
    static final class Verify implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "IMAGE", description = "An initramfs image.")
        private Path image;

        @Option(names = "--key", paramLabel = "KEY.pub", required = true, description = "The trusted Ed25519 public key (PEM).")
        private Path key;

        @Override
        public Integer call() {
            var trusted = ImageKeys.readPublic(key);
            try {
                InitramfsImage img = InitramfsImage.read(image, Optional.of(trusted));
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%s: valid: %d module files, signed by %s, sha256 %s%n", image, img.manifest().files().size(),
                        ImageKeys.fingerprint(trusted), img.sha256());
                out.flush();
                return 0;
            } catch (InvalidImageException e) {
                return invalid(spec, image, e);
            }
        }
    }

    /** {@code list IMAGE}: the manifest, without checking a signature. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List an image's module files with their sizes and SHA-256 (checks the digests, not the signature).",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:listed", "1:the image cannot be read or is malformed", "2:usage error"})
    static final class ListImage implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "IMAGE", description = "An initramfs image.")
        private Path image;

        @Override
        public Integer call() {
            try {
                InitramfsImage img = InitramfsImage.read(image, Optional.empty());
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%s: %d bytes, sha256 %s%n", image, img.size(), img.sha256());
                out.printf("signature: %s%n", img.manifest().signer().map(s -> "ed25519, signer " + s
                        + " (not verified; use verify --key)").orElse("none (unsigned)"));
                for (ImageManifest.Entry e : img.manifest().files()) {
                    out.printf("  %-24s %9d  sha256 %s%n", e.name(), e.size(), e.sha256());
                }
                out.flush();
                return 0;
            } catch (InvalidImageException e) {
                return invalid(spec, image, e);
            }
        }
    }

    /** Prints why {@code image} is invalid, with its code, as verify and list both do; returns exit 1. */
    private static int invalid(CommandSpec spec, Path image, InvalidImageException e) {
        spec.commandLine().getErr().println(image + ": INVALID: " + e.getMessage() + " [" + ErrorCode.BOOT_INITRAMFS_REJECTED.code() + "]");
        return Main.FAILED;
    }
}
