package org.pkvm4j.host.initramfs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * A jar read whole into memory: the module loader defines classes from these bytes, so a module
 * file is read once, checked once, and no file handle stays open behind a loaded module.
 *
 * <p>Reading is bounded ({@value #MAX_BYTES} bytes uncompressed, {@value #MAX_ENTRIES} entries) so
 * a hostile file cannot exhaust the host.
 */
public final class JarImage {
    /** The most uncompressed bytes a module jar may hold. */
    public static final long MAX_BYTES = 64L << 20;
    /** The most entries a module jar may hold. */
    public static final int MAX_ENTRIES = 65_536;

    private final String label;
    private final Map<String, byte[]> entries;

    private JarImage(String label, Map<String, byte[]> entries) {
        this.label = label;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /**
     * Reads a jar from its bytes.
     *
     * @param label what to call it in messages (the file and, for a nested jar, the entry)
     * @throws IOException if the bytes are not a readable, bounded zip archive
     */
    public static JarImage read(String label, byte[] bytes) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (entry.isDirectory()) {
                    continue;
                }
                if (entries.size() >= MAX_ENTRIES) {
                    throw new ZipException(label + " has more than " + MAX_ENTRIES + " entries");
                }
                byte[] data = readBounded(zip, MAX_BYTES - total, label);
                total += data.length;
                if (entries.put(entry.getName(), data) != null) {
                    throw new ZipException(label + " has the entry " + entry.getName() + " twice");
                }
            }
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

    private static byte[] readBounded(InputStream in, long budget, String label) throws IOException {
        byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, budget + 1));
        if (data.length > budget) {
            throw new ZipException(label + " is larger than " + MAX_BYTES + " bytes uncompressed");
        }
        return data;
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
