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
 *
 * <p>A directory is read when a module is read. An initramfs already in memory ({@link Rootfs},
 * populated once, as {@code populate_rootfs} unpacks the initramfs) serves its bytes to every
 * mount from it, with the same measurements, descriptions and refusals as a mount of the path.
 */
public final class Initramfs {
    /** The extension of module files. */
    public static final String MODULE_SUFFIX = ".jar";

    private final Path root;
    private final boolean isImage;
    // The files in memory (an image, or a directory populated once); empty: a directory read as it is now.
    private final Optional<Rootfs> rootfs;
    private final Optional<ModuleSignature> signature;
    private final Optional<String> rejection;
    private final MeasurementLog measurements;

    private Initramfs(Path root, boolean isImage, Optional<Rootfs> rootfs, Optional<ModuleSignature> signature,
            Optional<String> rejection, MeasurementLog measurements) {
        this.root = root;
        this.isImage = isImage;
        this.rootfs = rootfs;
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
        checkDirectory(root);
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
                    Optional.of(directoryRejection(trusted.get())), dir.measurements);
        }
        checkFile(path, abs);
        // An image is read and checked whole, as the kernel unpacks its initramfs: a rootfs of its own.
        return mount(Rootfs.populate(abs, trusted));
    }

    /**
     * Mounts an initramfs already in memory: the directory or image {@code rootfs} was populated
     * from, with the policy it was populated with. The mount gets its own measurement log, whose
     * entries are the digests computed when {@code rootfs} was populated (its bytes cannot have
     * changed since); its reads are served from those bytes.
     */
    public static Initramfs mount(Rootfs rootfs) {
        return new Initramfs(rootfs.root(), rootfs.isImage(), Optional.of(rootfs), rootfs.signature(), rootfs.rejection(),
                new MeasurementLog(rootfs.measurementKind(), rootfs.root().toString(), rootfs.sha256()));
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
        return what + " (" + files + "), " + (rootfs.map(Rootfs::isSignedUnverified).orElse(false)
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
        if (rootfs.isPresent()) {
            return readInMemory(rootfs.get(), name, measure);
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

    /** As the directory read does (the size bound, then the measurement, then the parse), from memory. */
    private Optional<ModuleFile> readInMemory(Rootfs fs, String name, boolean measure) {
        Optional<Rootfs.File> found = fs.file(name);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Rootfs.File f = found.get();
        Path path = root.resolve(f.name());
        ModuleFile.checkSize(path, f.size());
        if (measure) {
            measurements.measureModule(moduleName(path), f.name(), f.sha256());
        }
        return Optional.of(fs.parse(f, path));
    }

    /**
     * The SHA-256 of module {@code name}'s file, if this initramfs holds it in memory (an image, a
     * {@link Rootfs}): known without reading anything. Empty for a directory read from disk, a
     * rejected initramfs, or no such module. Not a measurement: only {@link #read} measures.
     */
    public Optional<String> digest(String name) {
        if (rootfs.isEmpty() || rejection.isPresent()) {
            return Optional.empty();
        }
        return rootfs.get().file(name).map(Rootfs.File::sha256);
    }

    /** The module file names it holds, sorted. */
    public List<String> names() {
        if (rootfs.isPresent()) {
            return rejection.isPresent() ? List.of() : rootfs.get().names();
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
        if (rootfs.isPresent()) {
            return rootfs.get().fileOf(name).map(root::resolve);
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
        if (rootfs.isPresent()) {
            return rootfs.get().names().stream().map(root::resolve).toList();
        }
        return listDirectory(root);
    }

    /** The module name a file provides, from its file name. */
    public static String moduleName(Path file) {
        String f = file.getFileName().toString();
        return ProtectedModules.normalize(f.substring(0, f.length() - MODULE_SUFFIX.length()));
    }

    /**
     * Refuses a path that is not a directory, for a mount or a populate of a directory.
     *
     * @throws BootConfigException if it is not one
     */
    static void checkDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "initramfs " + dir + " is not a directory; pass a folder of module files");
        }
    }

    /**
     * Refuses a path ({@code abs}: {@code path} made absolute) that is not a directory nor a regular
     * file, named as it was given.
     *
     * @throws BootConfigException if it is neither
     */
    static void checkFile(Path path, Path abs) {
        if (!Files.isRegularFile(abs)) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "initramfs " + path + " does not exist; pass a folder of module files or an image");
        }
    }

    /** Why a directory is rejected under a {@code trusted} key: it carries no signature. */
    static String directoryRejection(PublicKey trusted) {
        return "a directory carries no signature; the trusted key " + ImageKeys.shortFingerprint(ImageKeys.fingerprint(trusted))
                + " requires a signed image (./pkvm initramfs pack DIR -o IMAGE --key KEY)";
    }

    /** The module files of a directory, the regular {@code *.jar} files, sorted by name: what a mount lists. */
    static List<Path> listDirectory(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(MODULE_SUFFIX))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "cannot list initramfs " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The digest of a directory: the SHA-256 of the manifest an unsigned image of it would carry. */
    private static String directoryDigest(Path dir) {
        List<Rootfs.File> files = new ArrayList<>();
        for (Path p : listDirectory(dir)) {
            // Streamed: a huge file costs time here, never memory; the loader refuses it unread.
            try {
                files.add(Rootfs.streamed(p.getFileName().toString(), p));
            } catch (IOException e) {
                throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "cannot read initramfs file " + p + ": " + e.getMessage(), e);
            }
        }
        return Rootfs.digestOf(files);
    }
}
