package org.pkvm4j.host.initramfs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.pkvm4j.host.cmdline.ProtectedModules;

/**
 * The manifest of an initramfs: every module file with its size and SHA-256, sorted by name, and
 * the fingerprint of the key that signed it. Its text is canonical (one form per content), so the
 * digest of a directory's manifest measures the directory as the image's digest measures the image.
 *
 * <pre>
 * pkvm4j-initramfs-manifest 1
 * signer sha256:&lt;64 hex&gt;                  (signed images only)
 * file kvstore.jar 48213 sha256:&lt;64 hex&gt;
 * file pkvm_driver.jar 20117 sha256:&lt;64 hex&gt;
 * </pre>
 *
 * @param signer the fingerprint of the signing key ({@link ImageKeys#fingerprint}), if signed
 * @param files the module files, sorted by name
 */
public record ImageManifest(Optional<String> signer, List<Entry> files) {
    /** The first line, with the manifest format version. */
    public static final String FIRST_LINE = "pkvm4j-initramfs-manifest 1";
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}\\.jar");
    private static final Pattern HEX = Pattern.compile("sha256:[0-9a-f]{64}");
    /** The most module files an image may hold. */
    public static final int MAX_FILES = 1024;

    /**
     * One module file.
     *
     * @param name its file name, {@code <module>.jar}
     * @param size its length in bytes
     * @param sha256 its SHA-256, hex
     */
    public record Entry(String name, long size, String sha256) {
        /** The module name, as modprobe compares it. */
        public String module() {
            return Initramfs.moduleName(java.nio.file.Path.of(name));
        }
    }

    /** Copies the list; checks names and order. */
    public ImageManifest {
        files = List.copyOf(files);
        Set<String> modules = new HashSet<>();
        for (int i = 0; i < files.size(); i++) {
            Entry e = files.get(i);
            if (!isValidName(e.name())) {
                throw new InvalidImageException("manifest: " + e.name() + " is not a module file name (<module>.jar)");
            }
            if (i > 0 && files.get(i - 1).name().compareTo(e.name()) >= 0) {
                throw new InvalidImageException("manifest: files are not sorted by name at " + e.name());
            }
            if (!modules.add(e.module())) {
                throw new InvalidImageException("manifest: module " + e.module() + " appears twice");
            }
        }
    }

    /** Whether {@code name} is a file name an image may hold: {@code <module>.jar}, no path. */
    public static boolean isValidName(String name) {
        return FILE_NAME.matcher(name).matches();
    }

    /** The canonical text. */
    public String text() {
        return textOf(signer, files);
    }

    /**
     * The canonical text of {@code files}, sorted, unchecked: a directory's manifest, whose file
     * names need not be ones an image accepts.
     */
    public static String textOf(Optional<String> signer, List<Entry> files) {
        StringBuilder b = new StringBuilder(FIRST_LINE).append('\n');
        signer.ifPresent(s -> b.append("signer ").append(s).append('\n'));
        for (Entry e : files.stream().sorted(java.util.Comparator.comparing(Entry::name)).toList()) {
            b.append("file ").append(e.name()).append(' ').append(e.size()).append(" sha256:").append(e.sha256()).append('\n');
        }
        return b.toString();
    }

    /** The canonical text as bytes (UTF-8; every character is ASCII). */
    public byte[] bytes() {
        return text().getBytes(StandardCharsets.UTF_8);
    }

    /** The total size of the files: the payload's length. */
    public long payloadSize() {
        return files.stream().mapToLong(Entry::size).sum();
    }

    /** The file of module {@code name}, compared as modprobe does. */
    public Optional<Entry> find(String name) {
        String wanted = ProtectedModules.normalize(name);
        return files.stream().filter(e -> e.module().equals(wanted)).findFirst();
    }

    /**
     * Parses a manifest; it must be in canonical form, so that a manifest means one thing only.
     *
     * @throws InvalidImageException naming the line that is wrong
     */
    public static ImageManifest parse(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.US_ASCII);
        for (byte b : bytes) {
            // DEL (0x7f) is a control character too: refused, so no message quotes one.
            if (b < 0 || (b < 0x20 && b != '\n') || b == 0x7f) {
                throw new InvalidImageException("manifest: not printable ASCII text");
            }
        }
        if (!text.endsWith("\n")) {
            throw new InvalidImageException("manifest: does not end with a newline");
        }
        List<String> lines = text.lines().toList();
        if (lines.isEmpty() || !lines.getFirst().equals(FIRST_LINE)) {
            throw new InvalidImageException("manifest: does not start with '" + FIRST_LINE + "'");
        }
        Optional<String> signer = Optional.empty();
        List<Entry> files = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(" ", -1);
            String where = "manifest line " + (i + 1) + ": ";
            if (i == 1 && f.length == 2 && f[0].equals("signer") && HEX.matcher(f[1]).matches()) {
                signer = Optional.of(f[1]);
            } else if (f.length == 4 && f[0].equals("file") && HEX.matcher(f[3]).matches()) {
                if (files.size() >= MAX_FILES) {
                    throw new InvalidImageException(where + "more than " + MAX_FILES + " files");
                }
                files.add(new Entry(f[1], size(where, f[2]), f[3].substring("sha256:".length())));
            } else {
                throw new InvalidImageException(where + "expected 'file NAME SIZE sha256:HEX', found '"
                        + abbreviate(lines.get(i)) + "'");
            }
        }
        ImageManifest manifest = new ImageManifest(signer, files);
        if (!manifest.text().equals(text)) {
            throw new InvalidImageException("manifest: not in canonical form");
        }
        return manifest;
    }

    /** The SHA-256 of {@code bytes}, hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static long size(String where, String s) {
        if (!s.matches("0|[1-9][0-9]{0,9}") || Long.parseLong(s) > JarImage.MAX_BYTES) {
            throw new InvalidImageException(where + "size " + abbreviate(s) + " is not a byte count up to " + JarImage.MAX_BYTES);
        }
        return Long.parseLong(s);
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
