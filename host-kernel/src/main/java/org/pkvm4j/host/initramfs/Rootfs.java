package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.attest.Measurement;
import org.pkvm4j.host.cmdline.ProtectedModules;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;

/**
 * An initramfs unpacked into memory once, immutable, from which any number of boots mount ({@link
 * Initramfs#mount(Rootfs)}): a directory's module files, or an image's verified files, read,
 * hashed and checked when it is populated, never read from disk again.
 *
 * <p>Kernel counterpart: {@code populate_rootfs} ({@code init/initramfs.c}), which unpacks the
 * initramfs cpio archive into the rootfs once, before anything runs from it. pkvm4j boots many
 * devices from one: {@code pkvm explore} populates a rootfs once and boots hundreds of devices from
 * it (docs/adr/0026-boot-image-read-once.md).
 *
 * <p>Each mount gets its own measurement log, whose entries are the digests computed here: the
 * bytes cannot change after they were hashed, so that digest is the digest of what every boot uses.
 * A file's parse ({@link ModuleFile}) is kept here after its first success and served to every
 * mount: its path and signature are this rootfs's, which no other initramfs shares, and a refusal
 * is never kept (each read refuses afresh).
 */
public final class Rootfs {
    /**
     * The most bytes of module files a directory's rootfs keeps (256 MiB). It lives as long as the
     * boots from it ({@code pkvm explore}: the whole run), next to the parse of each module booted,
     * on a heap that is a quarter of the machine's memory by default. A device's modules are a few
     * hundred KiB (the bundled ones) to a few MiB; more is a directory of files no device boots, and
     * failing up front with a message beats an {@code OutOfMemoryError} half-way through. An image is
     * read whole at every mount, as before, under its own bound ({@link InitramfsImage#MAX_IMAGE_BYTES}).
     */
    public static final long MAX_DIRECTORY_BYTES = 256L << 20;

    /**
     * One file, as it was read.
     *
     * @param name its file name
     * @param size its length
     * @param sha256 its SHA-256, hex
     * @param bytes its bytes; null for a file over {@link ModuleFile#MAX_FILE_BYTES}, refused unread
     */
    record File(String name, long size, String sha256, byte[] bytes) {
    }

    private final Path root;
    private final boolean isImage;
    private final boolean signedUnverified;
    private final Optional<ModuleSignature> signature;
    private final Optional<String> rejection;
    private final String measurementKind;
    private final String sha256;
    private final List<String> names;
    private final Map<String, File> byModule;
    private final Map<String, ModuleFile> parsed = new ConcurrentHashMap<>();

    private Rootfs(Path root, boolean isImage, boolean signedUnverified, Optional<ModuleSignature> signature,
            Optional<String> rejection, String sha256, List<File> files) {
        this.root = root;
        this.isImage = isImage;
        this.signedUnverified = signedUnverified;
        this.signature = signature;
        this.rejection = rejection;
        this.measurementKind = isImage ? Measurement.INITRAMFS_IMAGE : Measurement.INITRAMFS_DIRECTORY;
        this.sha256 = sha256;
        this.names = files.stream().map(File::name).toList();
        // The file modprobe finds for a module: the first, in sorted order, whose name spells it.
        Map<String, File> modules = new LinkedHashMap<>();
        for (File f : files) {
            modules.putIfAbsent(Initramfs.moduleName(Path.of(f.name())), f);
        }
        this.byModule = Map.copyOf(modules);
    }

    /**
     * Populates from a directory, as {@link Initramfs#mount(Path)} mounts it.
     *
     * @throws BootConfigException if it is not a readable directory
     */
    public static Rootfs populate(Path dir) {
        Initramfs.checkDirectory(dir);
        return populate(dir, Optional.empty());
    }

    /**
     * Populates from a directory or an image file, with the policy of {@link
     * Initramfs#mount(Path, Optional)}: with a {@code trusted} key only an image signed by it is
     * accepted; anything else is populated rejected (it serves no module, and every mount from it
     * is rejected for the same reason).
     *
     * @throws BootConfigException if {@code path} is neither a directory nor a file, a file of the
     *     directory cannot be read, or the directory's module files hold more than {@link
     *     #MAX_DIRECTORY_BYTES}
     */
    public static Rootfs populate(Path path, Optional<PublicKey> trusted) {
        return populate(path, trusted, MAX_DIRECTORY_BYTES);
    }

    /** As {@link #populate(Path, Optional)}, keeping at most {@code maxBytes} of a directory's files (a test's small bound). */
    static Rootfs populate(Path path, Optional<PublicKey> trusted, long maxBytes) {
        Path abs = path.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            List<File> files = readDirectory(abs, maxBytes);
            String digest = digestOf(files);
            Optional<String> rejection = trusted.map(Initramfs::directoryRejection);
            return new Rootfs(abs, false, false, Optional.empty(), rejection, digest, files);
        }
        Initramfs.checkFile(path, abs);
        try {
            InitramfsImage img = InitramfsImage.read(abs, trusted);
            Optional<ModuleSignature> sig = trusted.map(k -> new ModuleSignature(abs.toString(), "ed25519",
                    ImageKeys.fingerprint(k)));
            List<File> files = new ArrayList<>();
            for (ImageManifest.Entry e : img.manifest().files()) {
                files.add(new File(e.name(), e.size(), e.sha256(), img.files().get(e.name())));
            }
            return new Rootfs(abs, true, sig.isEmpty() && img.isSigned(), sig, Optional.empty(), img.sha256(), files);
        } catch (InvalidImageException e) {
            return new Rootfs(abs, true, false, Optional.empty(), Optional.of(e.getMessage()), fileDigest(abs), List.of());
        }
    }

    /** The directory or image file it was populated from, absolute. */
    public Path root() {
        return root;
    }

    /** Whether it was populated from an image file rather than a directory. */
    public boolean isImage() {
        return isImage;
    }

    /** Why it was rejected, if it was: then it serves no module. */
    public Optional<String> rejection() {
        return rejection;
    }

    /** The signature its modules inherit: present only for an image verified with a trusted key. */
    public Optional<ModuleSignature> signature() {
        return signature;
    }

    /** Whether it is an image that carries a signature no trusted key checked. */
    boolean isSignedUnverified() {
        return signedUnverified;
    }

    /** The kind of the measurement log's first entry: {@link Measurement#INITRAMFS_IMAGE} or a directory. */
    String measurementKind() {
        return measurementKind;
    }

    /**
     * The initramfs's measurement: the SHA-256 of the image file, or of the manifest an unsigned
     * image of the directory would carry.
     */
    public String sha256() {
        return sha256;
    }

    /** Its module file names, sorted: a rejected directory's too, though it serves none (as a mount lists them). */
    public List<String> names() {
        return names;
    }

    /** The file that provides module {@code name} (compared as modprobe compares), if any. */
    Optional<File> file(String name) {
        return Optional.ofNullable(byModule.get(ProtectedModules.normalize(name)));
    }

    /** The file name that provides module {@code name}, if it has one. */
    public Optional<String> fileOf(String name) {
        return file(name).map(File::name);
    }

    /**
     * The parsed module file {@code f}, read from {@code path}: parsed once, on the first read that
     * succeeds. Pure: the same bytes, path and signature give the same value.
     *
     * @throws PkvmException {@code ENOEXEC} as {@link ModuleFile#read(Path, byte[], Optional)}, afresh on every read
     */
    ModuleFile parse(File f, Path path) {
        ModuleFile done = parsed.get(f.name());
        if (done != null) {
            return done;
        }
        ModuleFile file = ModuleFile.read(path, f.bytes(), signature);
        ModuleFile raced = parsed.putIfAbsent(f.name(), file);
        return raced != null ? raced : file;
    }

    /**
     * Every module file of the directory, read whole; one over the per-file bound is hashed streamed,
     * not kept. The files kept hold at most {@code maxBytes} in all, checked before each is read.
     */
    private static List<File> readDirectory(Path dir, long maxBytes) {
        List<File> files = new ArrayList<>();
        long kept = 0;
        for (Path p : Initramfs.listDirectory(dir)) {
            try {
                String name = p.getFileName().toString();
                long size = Files.size(p);
                if (size > ModuleFile.MAX_FILE_BYTES) {
                    files.add(streamed(name, p));
                    continue;
                }
                if (kept + size > maxBytes) {
                    throw tooLarge(dir, maxBytes);
                }
                byte[] bytes = Files.readAllBytes(p);
                kept += bytes.length;
                if (kept > maxBytes) {
                    throw tooLarge(dir, maxBytes); // it grew since its size was read
                }
                files.add(new File(name, bytes.length, ImageManifest.sha256(bytes), bytes));
            } catch (IOException e) {
                throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "cannot read initramfs file " + p + ": " + e.getMessage(), e);
            }
        }
        return files;
    }

    private static BootConfigException tooLarge(Path dir, long maxBytes) {
        return new BootConfigException(ErrorCode.BOOT_INITRAMFS, "initramfs " + dir + " holds more than " + maxBytes
                + " bytes of module files, more than is kept in memory; remove the files no device boots, or boot from"
                + " the files (pkvm explore --read-every-boot)");
    }

    /** A file too large to load: its digest, streamed, so that it costs time here but never memory. */
    static File streamed(String name, Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[64 << 10];
            long size = 0;
            for (int n; (n = in.read(buffer)) > 0; size += n) {
                sha.update(buffer, 0, n);
            }
            return new File(name, size, HexFormat.of().formatHex(sha.digest()), null);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The digest of a directory's files: the SHA-256 of the manifest an unsigned image of them would carry. */
    static String digestOf(List<File> files) {
        List<ImageManifest.Entry> entries = files.stream().map(f -> new ImageManifest.Entry(f.name(), f.size(), f.sha256())).toList();
        return ImageManifest.sha256(ImageManifest.textOf(Optional.empty(), entries).getBytes(StandardCharsets.UTF_8));
    }

    private static String fileDigest(Path file) {
        try {
            return ImageManifest.sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            return "unreadable";
        }
    }
}
