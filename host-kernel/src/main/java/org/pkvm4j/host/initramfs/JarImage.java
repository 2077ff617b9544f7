package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipException;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * A jar read whole into memory: the module loader defines classes from these bytes, so a module
 * file is read once, checked once, and no file handle stays open behind a loaded module.
 *
 * <p>Reading is bounded ({@value #MAX_BYTES} bytes uncompressed in all and per entry, {@value
 * #MAX_ENTRIES} entries), and the bounds are checked against the sizes the archive declares before
 * anything is inflated, so a hostile file cannot exhaust the host. Entry names are checked too: no
 * {@code ..}, absolute or backslashed path, no duplicate, only UTF-8.
 */
public final class JarImage {
    /** The most uncompressed bytes a module jar may hold. */
    public static final long MAX_BYTES = 64L << 20;
    /** The most uncompressed bytes one entry may hold (a nested {@code hyp.jar} is one entry). */
    public static final long MAX_ENTRY_BYTES = MAX_BYTES;
    /** The most entries a module jar may hold (the most a zip without zip64 can list). */
    public static final int MAX_ENTRIES = 65_534;

    private final String label;
    private final Map<String, byte[]> entries;

    private JarImage(String label, Map<String, byte[]> entries) {
        this.label = label;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Reads a jar from its bytes, through its central directory ({@link ZipDirectory}): every name
     * and declared size is checked before any entry is inflated.
     *
     * @param label what to call it in messages (the file and, for a nested jar, the entry)
     * @throws IOException if the bytes are not a readable zip archive
     * @throws PkvmException {@code ENOEXEC} ({@link ErrorCode#LOAD_BAD_ENTRY}) for an entry with a
     *     bad name ({@code ..}, absolute, backslash, not UTF-8), a duplicate, or one over the bounds
     */
    public static JarImage read(String label, byte[] bytes) throws IOException {
        List<ZipDirectory.Entry> directory;
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try {
            directory = ZipDirectory.read(label, bytes, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_BYTES);
            for (ZipDirectory.Entry entry : directory) {
                if (!entry.isDirectory()) {
                    entries.put(entry.name(), ZipDirectory.data(label, bytes, entry));
                }
            }
        } catch (ZipDirectory.BadZip e) {
            throw new ZipException(e.getMessage());
        } catch (ZipDirectory.BadZipEntry e) {
            throw new Refusal(ErrorCode.LOAD_BAD_ENTRY, Errno.ENOEXEC, e.getMessage(), e);
        } catch (IndexOutOfBoundsException | java.nio.BufferUnderflowException e) {
            // Fail closed: an offset the reader's own bounds checks missed is still a bad archive,
            // reported as one, never a stack trace.
            throw new ZipException(label + " is not a readable zip archive: an offset points outside it");
        }
        if (entries.isEmpty()) {
            throw new ZipException(label + " is not a jar (no entries)");
        }
        return new JarImage(label, entries);
    }

    /** A jar image from entries already in memory (a module read through its ModuleReader, a test). */
    public static JarImage of(String label, Map<String, byte[]> entries) {
        return new JarImage(label, new LinkedHashMap<>(entries));
    }

    /**
     * A jar image of a directory of class files (a build's {@code target/classes}), entries named by
     * their path relative to {@code dir}, in sorted order.
     */
    public static JarImage ofDirectory(Path dir) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                entries.put(dir.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        return new JarImage(dir.toString(), entries);
    }

    /** What this jar is called in messages. */
    public String label() {
        return label;
    }

    /** The bytes of an entry. */
    public Optional<byte[]> entry(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** Every entry name, in archive order. */
    public Set<String> entryNames() {
        return entries.keySet();
    }

    /** Every entry with its bytes, in archive order. */
    public Map<String, byte[]> entries() {
        return entries;
    }

    /** The packages holding classes, derived from the {@code .class} entries. */
    public Set<String> packages() {
        Set<String> packages = new TreeSet<>();
        for (String name : entries.keySet()) {
            int slash = name.lastIndexOf('/');
            if (name.endsWith(".class") && slash > 0 && !name.startsWith("META-INF/")) {
                packages.add(name.substring(0, slash).replace('/', '.'));
            }
        }
        return packages;
    }

    /** The total size of the class files: what EL2 maps as text. */
    public long classBytes() {
        return entries.entrySet().stream().filter(e -> e.getKey().endsWith(".class"))
                .mapToLong(e -> e.getValue().length).sum();
    }

    /** Whether {@code bytes} start like a zip archive. */
    static boolean looksLikeZip(byte[] bytes) {
        return bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
    }

    @Override
    public String toString() {
        return label;
    }
}
