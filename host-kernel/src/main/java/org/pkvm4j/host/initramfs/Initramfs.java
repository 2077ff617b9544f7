package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.attest.Measurement;
import org.pkvm4j.host.attest.MeasurementLog;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.cmdline.ProtectedModules;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * The initial RAM filesystem: a directory of module files named {@code <module>.jar}, or an
 * initramfs image ({@link InitramfsImage}) holding such files, signed or not.
 *
 * <p>Kernel counterpart: the initramfs that {@code modprobe} searches when {@code
 * pkvm_load_early_modules} runs. Lookup compares names as modprobe does ({@code -} equals {@code
 * _}). An image is read and checked whole at mount; its modules are served from those bytes. A
 * rejected image (a bad signature, a tampered byte, no signature where a trusted key requires one)
 * serves no module at all: every read fails with {@code EPERM} and the reason.
 *
 * <p>Every module file read is measured first ({@link #measurements()}).
 */
public final class Initramfs {
    /** The extension of module files. */
    public static final String MODULE_SUFFIX = ".jar";

    private final Path root;
    private final boolean isImage;
    private final Optional<InitramfsImage> image;
    private final Optional<ModuleSignature> signature;
    private final Optional<String> rejection;
    private final MeasurementLog measurements;

    private Initramfs(Path root, boolean isImage, Optional<InitramfsImage> image, Optional<ModuleSignature> signature,
            Optional<String> rejection, MeasurementLog measurements) {
        this.root = root;
        this.isImage = isImage;
        this.image = image;
        this.signature = signature;
        this.rejection = rejection;
        this.measurements = measurements;
    }

    /**
     * Mounts a directory.
     *
     * @throws BootConfigException if it is not a readable directory
     */
    public static Initramfs mount(Path root) {
        if (!Files.isDirectory(root)) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "initramfs " + root + " is not a directory; pass a folder of module files");
        }
        Path dir = root.toAbsolutePath().normalize();
        return new Initramfs(dir, false, Optional.empty(), Optional.empty(), Optional.empty(),
                new MeasurementLog(Measurement.INITRAMFS_DIRECTORY, dir.toString(), directoryDigest(dir)));
    }

    /**
     * Mounts a directory or an image file. With a {@code trusted} key the initramfs must be an
     * image signed by it; one that is not, or that fails any check, is mounted rejected: it serves
     * no module, and {@link #rejection()} says why. The boot then refuses the protected modules.
     *
     * @throws BootConfigException if {@code path} is neither a directory nor a file
     */
    public static Initramfs mount(Path path, Optional<PublicKey> trusted) {
        Path abs = path.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            Initramfs dir = mount(abs);
            return trusted.isEmpty() ? dir : new Initramfs(abs, false, Optional.empty(), Optional.empty(),
                    Optional.of("a directory carries no signature; the trusted key "
                            + ImageKeys.shortFingerprint(ImageKeys.fingerprint(trusted.get()))
                            + " requires a signed image (./pkvm initramfs pack DIR -o IMAGE --key KEY)"), dir.measurements);
        }
        if (!Files.isRegularFile(abs)) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "initramfs " + path + " does not exist; pass a folder of module files or an image");
        }
        try {
            InitramfsImage img = InitramfsImage.read(abs, trusted);
            Optional<ModuleSignature> sig = trusted.map(k -> new ModuleSignature(abs.toString(), "ed25519",
                    ImageKeys.fingerprint(k)));
            return new Initramfs(abs, true, Optional.of(img), sig, Optional.empty(),
                    new MeasurementLog(Measurement.INITRAMFS_IMAGE, abs.toString(), img.sha256()));
        } catch (InvalidImageException e) {
            return new Initramfs(abs, true, Optional.empty(), Optional.empty(), Optional.of(e.getMessage()),
                    new MeasurementLog(Measurement.INITRAMFS_IMAGE, abs.toString(), fileDigest(abs)));
        }
    }

    /** The mounted directory or image file. */
    public Path root() {
        return root;
    }

    /** Whether this is an image file rather than a directory. */
    public boolean isImage() {
        return isImage;
    }

    /** Why the initramfs was rejected, if it was: then it serves no module. */
    public Optional<String> rejection() {
        return rejection;
    }

    /** The signature its modules inherit: present only for an image verified with a trusted key. */
    public Optional<ModuleSignature> signature() {
        return signature;
    }

    /** The measurement log, its first entry this initramfs. */
    public MeasurementLog measurements() {
        return measurements;
    }

    /** One line for the kernel log and the boot report. */
    public String describe() {
        String what = (isImage() ? "image " : "directory ") + root;
        if (rejection.isPresent()) {
            return what + ": REJECTED: " + rejection.get();
        }
        String files = names().size() + " module files";
        if (signature.isPresent()) {
            return what + " (" + files + "), signature verified (" + signature.get().algorithm() + ", key "
                    + ImageKeys.shortFingerprint(signature.get().keyFingerprint()) + ")";
        }
        return what + " (" + files + "), " + (image.map(InitramfsImage::isSigned).orElse(false)
                ? "signed, not verified (no trusted key)" : "unsigned");
    }

    /**
     * Reads module {@code name}'s file, measuring it first: from the image's verified bytes, or
     * from the directory.
     *
     * @return empty if the initramfs has no such module
     * @throws PkvmException {@code EPERM} if the initramfs was rejected; {@code ENOENT} or {@code
     *     ENOEXEC} as {@link ModuleFile#read(Path)}
     */
    public Optional<ModuleFile> read(String name) {
        return read(name, true);
    }

    /**
     * Reads module {@code name}'s file without measuring it: for {@code modinfo}, which only looks.
     * The measurement log lists what was read to be loaded, as a verifier replaying it expects.
     */
    public Optional<ModuleFile> inspect(String name) {
        return read(name, false);
    }

    private Optional<ModuleFile> read(String name, boolean measure) {
        if (rejection.isPresent()) {
            throw new Refusal(ErrorCode.BOOT_INITRAMFS_REJECTED, Errno.EPERM, "initramfs " + root + " was rejected (" + rejection.get()
                    + "); module " + ProtectedModules.normalize(name) + " is not loaded from it");
        }
        if (image.isPresent()) {
            Optional<ImageManifest.Entry> entry = image.get().manifest().find(name);
            entry.filter(e -> measure).ifPresent(e -> measurements.measureModule(e.module(), e.name(), e.sha256()));
            return entry.map(e -> ModuleFile.read(root.resolve(e.name()), image.get().files().get(e.name()), signature));
        }
        Optional<Path> file = find(name);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            ModuleFile.checkSize(file.get(), Files.size(file.get()));
            bytes = Files.readAllBytes(file.get());
        } catch (IOException e) {
            throw new Refusal(ErrorCode.LOAD_NOT_FOUND, Errno.ENOENT, "cannot read module file " + file.get() + ": " + e.getMessage(), e);
        }
        if (measure) {
            measurements.measureModule(moduleName(file.get()), file.get().getFileName().toString(), ImageManifest.sha256(bytes));
        }
        return Optional.of(ModuleFile.read(file.get(), bytes, Optional.empty()));
    }

    /** The module file names it holds, sorted. */
    public List<String> names() {
        if (image.isPresent()) {
            return image.get().manifest().files().stream().map(ImageManifest.Entry::name).toList();
        }
        return rejection.isPresent() ? List.of() : list().stream().map(p -> p.getFileName().toString()).toList();
    }

    /**
     * The file of module {@code name}, if a directory initramfs has it (an image's files have no
     * path of their own; use {@link #read(String)}).
     */
    public Optional<Path> find(String name) {
        if (isImage) {
            return Optional.empty();
        }
        // The first of the sorted module files that provide the module and is a regular file. A boot
        // of N modules finds N files: a listing of the directory for each made that quadratic (ADR
        // 0018). The files that can provide it are the spellings of its name with '-' or '_' at each
        // of its k underscores: up to 2^k stats, in sorted order, give the same answer as a listing.
        String wanted = ProtectedModules.normalize(name);
        if (wanted.indexOf('/') >= 0 || wanted.indexOf('\0') >= 0) {
            return Optional.empty(); // no file name of the directory holds these
        }
        if (wanted.chars().filter(c -> c == '_').count() <= MAX_SPELLING_BITS) {
            for (String spelling : spellings(wanted)) {
                Path p = root.resolve(spelling + MODULE_SUFFIX);
                if (Files.isRegularFile(p)) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(root)) {
            return files.filter(p -> p.getFileName().toString().endsWith(MODULE_SUFFIX) && moduleName(p).equals(wanted))
                    .sorted().filter(Files::isRegularFile).findFirst();
        } catch (IOException e) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "cannot list initramfs " + root + ": " + e.getMessage(), e);
        }
    }

    /** Names with more underscores than this are looked up by a listing of the directory. */
    private static final int MAX_SPELLING_BITS = 4;

    /**
     * The file names (without suffix) whose module name is {@code normalized}, sorted as paths sort:
     * each differs from the next first at an underscore position, where '-' sorts before '_'.
     */
    static List<String> spellings(String normalized) {
        List<String> names = new ArrayList<>(List.of(""));
        for (char c : normalized.toCharArray()) {
            List<String> next = new ArrayList<>(names.size() * (c == '_' ? 2 : 1));
            for (String prefix : names) {
                if (c == '_') {
                    next.add(prefix + '-');
                }
                next.add(prefix + c);
            }
            names = next;
        }
        return names;
    }

    /** Every module file of a directory initramfs, sorted by name; empty for an image. */
    public List<Path> list() {
        if (isImage) {
            return List.of();
        }
        return listDirectory(root);
    }

    /** The module name a file provides, from its file name. */
    public static String moduleName(Path file) {
        String f = file.getFileName().toString();
        return ProtectedModules.normalize(f.substring(0, f.length() - MODULE_SUFFIX.length()));
    }

    private static List<Path> listDirectory(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(MODULE_SUFFIX))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "cannot list initramfs " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The digest of a directory: the SHA-256 of the manifest an image of it would carry, unsigned. */
    private static String directoryDigest(Path dir) {
        List<ImageManifest.Entry> entries = new ArrayList<>();
        for (Path p : listDirectory(dir)) {
            // Streamed: a huge file costs time here, never memory; the loader refuses it unread.
            try (java.io.InputStream in = Files.newInputStream(p)) {
                java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
                byte[] buffer = new byte[64 << 10];
                long size = 0;
                for (int n; (n = in.read(buffer)) > 0; size += n) {
                    sha.update(buffer, 0, n);
                }
                entries.add(new ImageManifest.Entry(p.getFileName().toString(), size,
                        java.util.HexFormat.of().formatHex(sha.digest())));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            } catch (IOException e) {
                throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "cannot read initramfs file " + p + ": " + e.getMessage(), e);
            }
        }
        return ImageManifest.sha256(ImageManifest.textOf(Optional.empty(), entries).getBytes(
                java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String fileDigest(Path file) {
        try {
            return ImageManifest.sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            return "unreadable";
        }
    }
}
