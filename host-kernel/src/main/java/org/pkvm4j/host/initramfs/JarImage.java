package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
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
 *
 * <p>Immutable: it never hands out the arrays it holds ({@link #entry} and {@link #entries} give
 * copies, {@link #view} a read-only buffer), so one image can be shared by every device booted from
 * it (a rootfs's parse, the hypervisor jar: ADR 0026) and what each reads is what was measured.
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

    private final Map<String, byte[]> copies = new Copies();

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

    /**
     * A jar image from entries already in memory (a module read through its ModuleReader, a test):
     * their bytes are copied, so the caller's arrays stay the caller's.
     */
    public static JarImage of(String label, Map<String, byte[]> entries) {
        Map<String, byte[]> own = new LinkedHashMap<>();
        entries.forEach((name, bytes) -> own.put(name, bytes.clone()));
        return new JarImage(label, own);
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

    /** A copy of the bytes of an entry: the caller's own, to change if it must. */
    public Optional<byte[]> entry(String name) {
        byte[] bytes = entries.get(name);
        return bytes == null ? Optional.empty() : Optional.of(bytes.clone());
    }

    /**
     * The bytes of an entry as a read-only buffer, not copied: for readers that only read (a module
     * reader defining every class of a layer, a descriptor).
     */
    public Optional<ByteBuffer> view(String name) {
        byte[] bytes = entries.get(name);
        return bytes == null ? Optional.empty() : Optional.of(ByteBuffer.wrap(bytes).asReadOnlyBuffer());
    }

    /** The bytes of an entry, not copied: only for this package's readers, which never change nor keep them. */
    Optional<byte[]> stored(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** Every entry name, in archive order. */
    public Set<String> entryNames() {
        return entries.keySet();
    }

    /**
     * Every entry with its bytes, in archive order: an unmodifiable view whose values are copies,
     * made as each is read (so iterating copies one entry at a time, never the whole jar at once).
     */
    public Map<String, byte[]> entries() {
        return copies;
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

    /** {@link #entries()}: the entries, each value copied when it is read. */
    private final class Copies extends AbstractMap<String, byte[]> {
        private final Set<Map.Entry<String, byte[]>> entrySet = new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<String, byte[]>> iterator() {
                Iterator<Map.Entry<String, byte[]>> it = entries.entrySet().iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Map.Entry<String, byte[]> next() {
                        Map.Entry<String, byte[]> e = it.next();
                        return new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue().clone());
                    }
                };
            }

            @Override
            public int size() {
                return entries.size();
            }
        };

        @Override
        public Set<Map.Entry<String, byte[]>> entrySet() {
            return entrySet;
        }

        @Override
        public int size() {
            return entries.size();
        }

        @Override
        public boolean containsKey(Object name) {
            return entries.containsKey(name);
        }

        @Override
        public byte[] get(Object name) {
            byte[] bytes = entries.get(name);
            return bytes == null ? null : bytes.clone();
        }

        @Override
        public Set<String> keySet() {
            return entries.keySet();
        }
    }
}
