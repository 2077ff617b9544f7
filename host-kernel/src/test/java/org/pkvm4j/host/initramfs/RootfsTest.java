package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * A rootfs populated once and mounted many times against a mount of the same path: the same
 * description, measurement log, files and refusals, mount after mount.
 */
class RootfsTest {
    private static final KeyPair KEY = ImageKeys.generate();
    private static final KeyPair OTHER_KEY = ImageKeys.generate();

    @TempDir
    Path dir;

    /** Built once per name: a jar's bytes hold entry times, so two builds may differ. */
    private static final Map<String, byte[]> MODULES = new java.util.concurrent.ConcurrentHashMap<>();

    private static byte[] module(String name) {
        return MODULES.computeIfAbsent(name, n -> TestJars.jar().with(Modinfo.ENTRY, "name=" + n + "\nversion=1\n").bytes());
    }

    /** The reads every comparison makes, in this order: found, absent, corrupt, spelled two ways, huge. */
    private static final List<String> READS = List.of("beta", "alpha", "absent", "corrupt", "no_modinfo", "c-d", "huge",
            "beta", "corrupt");

    /**
     * Mounts {@code path} as a boot does and {@code rootfs} twice, reads {@link #READS} from each (a
     * freeze half-way), and requires the same answers and the same measurement log of all three.
     */
    private static void assertMountsAlike(Path path, Optional<KeyPair> key, Rootfs rootfs) {
        Initramfs fromPath = Initramfs.mount(path, key.map(KeyPair::getPublic));
        List<String> expected = transcript(fromPath);
        for (int mount = 1; mount <= 2; mount++) {
            Initramfs fromMemory = Initramfs.mount(rootfs);
            assertEquals(expected, transcript(fromMemory), "mount " + mount + " of the rootfs");
            assertEquals(fromPath.measurements().entries(), fromMemory.measurements().entries());
            assertEquals(fromPath.measurements().initramfs(), fromMemory.measurements().initramfs());
        }
    }

    /** What an initramfs says of itself and answers to {@link #READS}, line by line. */
    private static List<String> transcript(Initramfs initramfs) {
        List<String> lines = new ArrayList<>();
        lines.add("describe " + initramfs.describe());
        lines.add("root " + initramfs.root() + " image " + initramfs.isImage());
        lines.add("rejection " + initramfs.rejection() + " signature " + initramfs.signature());
        lines.add("names " + initramfs.names() + " list " + initramfs.list());
        for (int i = 0; i < READS.size(); i++) {
            String name = READS.get(i);
            if (i == READS.size() / 2) {
                initramfs.measurements().freeze();
            }
            lines.add("find " + name + " " + initramfs.find(name));
            lines.add("inspect " + name + " " + read(() -> initramfs.inspect(name)));
            lines.add("read " + name + " " + read(() -> initramfs.read(name)));
        }
        lines.add("log " + initramfs.measurements().entries());
        return lines;
    }

    private static String read(java.util.function.Supplier<Optional<ModuleFile>> read) {
        try {
            return read.get().map(f -> f.path() + " " + f.sha256() + " " + f.modinfoRows() + " " + f.jars()).orElse("absent");
        } catch (Refusal e) {
            return "refused " + e.code() + " " + e.errno() + " " + e.getMessage();
        }
    }

    private void writeDirectory() throws IOException {
        Files.write(dir.resolve("alpha.jar"), module("alpha"));
        Files.write(dir.resolve("beta.jar"), module("beta"));
        Files.writeString(dir.resolve("corrupt.jar"), "not a jar");
        Files.write(dir.resolve("no_modinfo.jar"), TestJars.jar().with("README", "no modinfo here").bytes());
        // Two files provide c_d; modprobe takes the first in sorted order.
        Files.write(dir.resolve("c-d.jar"), TestJars.jar().with(Modinfo.ENTRY, "name=c_d\nversion=dash\n").bytes());
        Files.write(dir.resolve("c_d.jar"), TestJars.jar().with(Modinfo.ENTRY, "name=c_d\nversion=underscore\n").bytes());
        Files.writeString(dir.resolve("notes.txt"), "not a module file");
        // Over the per-file bound: refused unread (a sparse file: no disk, no memory).
        try (RandomAccessFile huge = new RandomAccessFile(dir.resolve("huge.jar").toFile(), "rw")) {
            huge.setLength(ModuleFile.MAX_FILE_BYTES + 1);
        }
    }

    private Path image(Optional<KeyPair> key) throws IOException {
        byte[] image = InitramfsImage.pack(Map.of("alpha.jar", module("alpha"), "beta.jar", module("beta"),
                "corrupt.jar", "not a jar".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), key);
        return Files.write(dir.resolve(key.isPresent() ? "signed.img" : "unsigned.img"), image);
    }

    /** Scenario: a directory with good, corrupt, doubly spelled, huge and foreign files. */
    @Test
    void aDirectoryInMemoryMountsAsTheDirectory() throws IOException {
        writeDirectory();
        Rootfs rootfs = Rootfs.populate(dir);
        assertMountsAlike(dir, Optional.empty(), rootfs);
        assertEquals("dash", Initramfs.mount(rootfs).read("c_d").orElseThrow().modinfo().version());
        PkvmException huge = assertThrows(PkvmException.class, () -> Initramfs.mount(rootfs).read("huge"));
        assertEquals(Errno.ENOEXEC, huge.errno());
        assertTrue(huge.getMessage().contains("not read"), huge.getMessage());
    }

    /** Scenario: a directory where a trusted key requires a signed image: rejected alike, measured alike. */
    @Test
    void aDirectoryUnderATrustedKeyIsRejectedAlike() throws IOException {
        writeDirectory();
        Rootfs rootfs = Rootfs.populate(dir, Optional.of(KEY.getPublic()));
        assertTrue(rootfs.rejection().orElseThrow().startsWith("a directory carries no signature"));
        assertMountsAlike(dir, Optional.of(KEY), rootfs);
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class, () -> Initramfs.mount(rootfs).read("alpha")).errno());
    }

    /** Scenario: a signed image verified with its key; its modules carry the signature, from memory as from the file. */
    @Test
    void aVerifiedImageInMemoryMountsAsTheImage() throws IOException {
        Path image = image(Optional.of(KEY));
        Rootfs rootfs = Rootfs.populate(image, Optional.of(KEY.getPublic()));
        assertMountsAlike(image, Optional.of(KEY), rootfs);
        assertTrue(Initramfs.mount(rootfs).read("alpha").orElseThrow().signature().isPresent());
    }

    /** Scenario: the signature does not verify (another key; a flipped byte); an unsigned image under a key; no key. */
    @Test
    void imagesThatFailTheirChecksAreRejectedAlike() throws IOException {
        Path signed = image(Optional.of(KEY));
        Rootfs wrongKey = Rootfs.populate(signed, Optional.of(OTHER_KEY.getPublic()));
        assertTrue(wrongKey.rejection().orElseThrow().startsWith("bad signature"), wrongKey.rejection().toString());
        assertMountsAlike(signed, Optional.of(OTHER_KEY), wrongKey);

        Path unsigned = image(Optional.empty());
        assertMountsAlike(unsigned, Optional.of(KEY), Rootfs.populate(unsigned, Optional.of(KEY.getPublic())));
        assertMountsAlike(unsigned, Optional.empty(), Rootfs.populate(unsigned, Optional.empty()));
        assertMountsAlike(signed, Optional.empty(), Rootfs.populate(signed, Optional.empty()));

        byte[] bytes = Files.readAllBytes(signed);
        bytes[bytes.length - 70] ^= 0x20;
        Files.write(signed, bytes);
        Rootfs tampered = Rootfs.populate(signed, Optional.of(KEY.getPublic()));
        assertTrue(tampered.rejection().orElseThrow().contains("SHA-256 mismatch"));
        assertMountsAlike(signed, Optional.of(KEY), tampered);
    }

    /** Scenario: the files change on disk after the rootfs was populated; its mounts serve and measure what it read. */
    @Test
    void filesChangedAfterPopulatingCannotSlipIn() throws IOException {
        Files.write(dir.resolve("alpha.jar"), module("alpha"));
        Rootfs rootfs = Rootfs.populate(dir);
        String digest = Initramfs.mount(dir).measurements().initramfs().sha256();
        Files.write(dir.resolve("alpha.jar"), TestJars.jar().with(Modinfo.ENTRY, "name=alpha\nversion=evil\n").bytes());
        Files.write(dir.resolve("beta.jar"), module("beta"));

        Initramfs mounted = Initramfs.mount(rootfs);
        assertEquals(digest, mounted.measurements().initramfs().sha256());
        assertEquals("1", mounted.read("alpha").orElseThrow().modinfo().version());
        assertEquals(ImageManifest.sha256(module("alpha")), mounted.measurements().beforeFreeze().getFirst().sha256());
        assertTrue(mounted.read("beta").isEmpty());
        assertEquals(List.of("alpha.jar"), mounted.names());
    }

    /**
     * Scenario: the parse of a file is shared by every mount of one rootfs, each mount measuring it in
     * its own log; a refusal is a fresh exception each time; the same bytes in a signed image's rootfs
     * and in a directory's keep their own path and signature (what sank the digest-keyed cache, ADR 0007).
     */
    @Test
    void parsesAreSharedWithinARootfsOnlyAndRefusalsAreNot() throws IOException {
        Path image = image(Optional.of(KEY));
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Files.write(plain.resolve("alpha.jar"), module("alpha"));
        Files.writeString(plain.resolve("corrupt.jar"), "not a jar");
        Rootfs signed = Rootfs.populate(image, Optional.of(KEY.getPublic()));
        Rootfs unsigned = Rootfs.populate(plain);

        Initramfs first = Initramfs.mount(signed);
        Initramfs second = Initramfs.mount(signed);
        ModuleFile a = first.read("alpha").orElseThrow();
        assertSame(a, second.read("alpha").orElseThrow(), "one parse per rootfs");
        assertEquals(1, first.measurements().beforeFreeze().size());
        assertEquals(1, second.measurements().beforeFreeze().size(), "yet every mount measures its read");

        ModuleFile b = Initramfs.mount(unsigned).read("alpha").orElseThrow();
        assertEquals(a.sha256(), b.sha256());
        assertEquals(image.toAbsolutePath().normalize().resolve("alpha.jar"), a.path());
        assertEquals(plain.toAbsolutePath().normalize().resolve("alpha.jar"), b.path());
        assertTrue(a.signature().isPresent());
        assertTrue(b.signature().isEmpty());

        Refusal one = assertThrows(Refusal.class, () -> Initramfs.mount(unsigned).read("corrupt"));
        Refusal two = assertThrows(Refusal.class, () -> Initramfs.mount(unsigned).read("corrupt"));
        assertNotSame(one, two);
        assertEquals(one.getMessage(), two.getMessage());
    }

    /**
     * Scenario: the parse one mount hands out is shared with every other mount of the rootfs; changing
     * the bytes it hands out (an entry, an entries() value) changes nothing another mount, or the
     * same one, reads: they still read the bytes that were measured.
     */
    @Test
    void bytesHandedOutBySharedParsesAreTheCallersOwn() throws IOException {
        byte[] file = TestJars.jar().with(Modinfo.ENTRY, "name=alpha\nversion=1\n").with("a/A.class", new byte[] {1, 2, 3})
                .with(ModuleFile.EL2_ENTRY, TestJars.jar().with("a/hyp/H.class", new byte[] {4, 5, 6}).bytes()).bytes();
        Files.write(dir.resolve("alpha.jar"), file);
        ModuleFile measured = ModuleFile.parse(dir.resolve("alpha.jar"), file);
        Rootfs rootfs = Rootfs.populate(dir);
        Initramfs a = Initramfs.mount(rootfs);
        ModuleFile handedOut = a.inspect("alpha").orElseThrow();

        handedOut.el1().entry("a/A.class").orElseThrow()[0] ^= 1;
        handedOut.el1().entries().get("a/A.class")[1] ^= 1;
        handedOut.el1().entries().values().forEach(bytes -> bytes[0] ^= 1);
        handedOut.el2().orElseThrow().entry("a/hyp/H.class").orElseThrow()[0] ^= 1;
        ByteBuffer view = handedOut.el1().view("a/A.class").orElseThrow();
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 9));
        assertFalse(view.hasArray(), "a view gives no way to its array");

        Initramfs b = Initramfs.mount(rootfs);
        for (Initramfs mount : List.of(b, a)) {
            ModuleFile read = mount.read("alpha").orElseThrow();
            assertSame(handedOut, read, "one parse per rootfs: the object is shared");
            for (String entry : measured.el1().entryNames()) {
                assertArrayEquals(measured.el1().entry(entry).orElseThrow(),
                        read.el1().entry(entry).orElseThrow(), entry);
            }
            assertArrayEquals(new byte[] {4, 5, 6},
                    read.el2().orElseThrow().entry("a/hyp/H.class").orElseThrow());
            assertEquals(ImageManifest.sha256(file), mount.measurements().beforeFreeze().getLast().sha256());
            assertEquals(ImageManifest.sha256(file), read.sha256());
        }
    }

    /**
     * Scenario: a directory whose module files hold more than a rootfs keeps is a configuration error
     * that says what to do, raised before the file that would cross the bound is read; a file over the
     * per-file bound is not kept, so it does not count.
     */
    @Test
    void aDirectoryOverTheBoundIsAConfigurationError() throws IOException {
        Files.write(dir.resolve("alpha.jar"), module("alpha"));
        Files.write(dir.resolve("beta.jar"), module("beta"));
        try (RandomAccessFile huge = new RandomAccessFile(dir.resolve("huge.jar").toFile(), "rw")) {
            huge.setLength(ModuleFile.MAX_FILE_BYTES + 1);
        }
        long both = module("alpha").length + module("beta").length;
        assertEquals(List.of("alpha.jar", "beta.jar", "huge.jar"), Rootfs.populate(dir, Optional.empty(), both).names());
        BootConfigException e = assertThrows(BootConfigException.class, () -> Rootfs.populate(dir, Optional.empty(), both - 1));
        assertEquals(ErrorCode.BOOT_INITRAMFS, e.code());
        assertTrue(e.getMessage().contains("holds more than " + (both - 1) + " bytes of module files"), e.getMessage());
        assertTrue(e.getMessage().contains("--read-every-boot"), e.getMessage());
    }

    /** Scenario: a file held in memory has a digest known without a read (the check-ahead's key); a file on disk has none. */
    @Test
    void aDigestIsKnownWithoutAReadOnlyForBytesInMemory() throws IOException {
        Files.write(dir.resolve("alpha.jar"), module("alpha"));
        Initramfs mounted = Initramfs.mount(Rootfs.populate(dir));
        assertEquals(Optional.of(ImageManifest.sha256(module("alpha"))), mounted.digest("alpha"));
        assertTrue(mounted.measurements().beforeFreeze().isEmpty(), "no measurement: nothing was read to be loaded");
        assertTrue(mounted.digest("beta").isEmpty());
        assertTrue(Initramfs.mount(dir).digest("alpha").isEmpty());
        assertTrue(Initramfs.mount(Rootfs.populate(dir, Optional.of(KEY.getPublic()))).digest("alpha").isEmpty());
    }

    @Test
    void pathsThatAreNeitherAreConfigurationErrorsAsForAMount() throws IOException {
        BootConfigException populate = assertThrows(BootConfigException.class, () -> Rootfs.populate(dir.resolve("absent"),
                Optional.empty()));
        BootConfigException mount = assertThrows(BootConfigException.class, () -> Initramfs.mount(dir.resolve("absent"),
                Optional.empty()));
        assertEquals(mount.getMessage(), populate.getMessage());
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertEquals(assertThrows(BootConfigException.class, () -> Initramfs.mount(file)).getMessage(),
                assertThrows(BootConfigException.class, () -> Rootfs.populate(file)).getMessage());
    }
}
