package org.pkvm4j.host.initramfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.pkvm4j.host.diag.Printable;

/**
 * The central directory of a zip archive in memory, read from its raw bytes: every entry's name
 * (as bytes, checked to be UTF-8), method, declared sizes and where its data lies.
 *
 * <p>One reading of an archive, the one {@code JarFile} and the JVM's own jar loading use: the
 * central directory is authoritative, and each entry's local header must repeat its name. Names
 * and sizes are checked here, before any entry is inflated, so that a hostile archive costs no
 * more memory than the bounds allow: an entry that declares more than its bound is refused
 * without reading it, and inflating stops at the declared size.
 */
final class ZipDirectory {
    private static final int LOC_SIG = 0x04034b50;
    private static final int CEN_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;
    private static final int END_SIZE = 22;
    private static final int CEN_SIZE = 46;
    private static final int LOC_SIZE = 30;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    /** The most characters of a name a message quotes (a name may have 65535 bytes). */
    private static final int MAX_QUOTED_NAME = 256;

    /**
     * One entry of the central directory.
     *
     * @param name its name, decoded from UTF-8
     * @param method 0 (stored) or 8 (deflated)
     * @param compressedSize the declared compressed size
     * @param size the declared uncompressed size
     * @param localHeader the offset of its local header
     */
    record Entry(String name, int method, long compressedSize, long size, long localHeader) {
        boolean isDirectory() {
            return name.endsWith("/");
        }
    }

    private ZipDirectory() {
    }

    /**
     * Reads and checks the central directory of {@code bytes}.
     *
     * @param maxEntries the most entries allowed
     * @param maxEntryBytes the most uncompressed bytes one entry may declare
     * @param maxTotalBytes the most uncompressed bytes all entries together may declare
     * @throws BadZipEntry for a bad entry (name, size, duplicate), naming it
     * @throws BadZip for an archive whose structure is unreadable
     */
    static List<Entry> read(String label, byte[] bytes, int maxEntries, long maxEntryBytes, long maxTotalBytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int end = findEnd(label, buf);
        if (buf.getShort(end + 4) != 0 || buf.getShort(end + 6) != 0) {
            throw new BadZip(label + " is a multi-disk archive");
        }
        int count = Short.toUnsignedInt(buf.getShort(end + 10));
        long cenSize = Integer.toUnsignedLong(buf.getInt(end + 12));
        long cenOffset = Integer.toUnsignedLong(buf.getInt(end + 16));
        if (count == 0xFFFF || cenSize == 0xFFFFFFFFL || cenOffset == 0xFFFFFFFFL) {
            throw new BadZip(label + " is a zip64 archive; a module jar is far below the zip64 sizes");
        }
        if (count > maxEntries) {
            throw new BadZipEntry(label, "(" + count + " entries)", "more than " + maxEntries + " entries");
        }
        if (cenOffset + cenSize != end) {
            throw new BadZip(label + ": the central directory does not end where the end record starts");
        }
        List<Entry> entries = new ArrayList<>(count);
        Set<String> names = new HashSet<>();
        long total = 0;
        int p = (int) cenOffset;
        for (int i = 0; i < count; i++) {
            if (p + CEN_SIZE > end || buf.getInt(p) != CEN_SIG) {
                throw new BadZip(label + ": central directory entry " + i + " is truncated or corrupt");
            }
            int flags = Short.toUnsignedInt(buf.getShort(p + 8));
            int method = Short.toUnsignedInt(buf.getShort(p + 10));
            long csize = Integer.toUnsignedLong(buf.getInt(p + 20));
            long size = Integer.toUnsignedLong(buf.getInt(p + 24));
            int nameLen = Short.toUnsignedInt(buf.getShort(p + 28));
            int extraLen = Short.toUnsignedInt(buf.getShort(p + 30));
            int commentLen = Short.toUnsignedInt(buf.getShort(p + 32));
            long loc = Integer.toUnsignedLong(buf.getInt(p + 42));
            int next = p + CEN_SIZE + nameLen + extraLen + commentLen;
            if (next > end) {
                throw new BadZip(label + ": central directory entry " + i + " is truncated");
            }
            String name = name(label, bytes, p + CEN_SIZE, nameLen);
            checkName(label, name);
            if (!names.add(name)) {
                throw new BadZipEntry(label, name, "appears twice in the archive");
            }
            if ((flags & 1) != 0) {
                throw new BadZipEntry(label, name, "is encrypted");
            }
            if (method != STORED && method != DEFLATED) {
                throw new BadZipEntry(label, name, "uses compression method " + method + " (only stored and deflated)");
            }
            if (csize == 0xFFFFFFFFL || size == 0xFFFFFFFFL || loc == 0xFFFFFFFFL) {
                throw new BadZipEntry(label, name, "has zip64 sizes");
            }
            if (size > maxEntryBytes) {
                throw new BadZipEntry(label, name, "declares " + size + " bytes uncompressed, over the limit of "
                        + maxEntryBytes + " bytes per entry");
            }
            total += size;
            if (total > maxTotalBytes) {
                throw new BadZipEntry(label, name, "takes the archive over " + maxTotalBytes + " bytes uncompressed");
            }
            if (method == STORED && csize != size) {
                throw new BadZipEntry(label, name, "is stored with a compressed size unlike its size");
            }
            if (loc + LOC_SIZE + nameLen + csize > cenOffset) {
                throw new BadZipEntry(label, name, "has data outside the archive's entry area");
            }
            entries.add(new Entry(name, method, csize, size, loc));
            p = next;
        }
        return entries;
    }

    /**
     * The bytes of {@code entry}: its local header must name it as the central directory does, and
     * its data inflate to exactly the declared size.
     */
    static byte[] data(String label, byte[] bytes, Entry entry) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int loc = (int) entry.localHeader();
        // Every offset a local header gives is checked against the archive before it is read: its
        // lengths are the attacker's, as much as the central directory's are.
        if (loc < 0 || loc > bytes.length - LOC_SIZE || buf.getInt(loc) != LOC_SIG) {
            throw new BadZipEntry(label, entry.name(), "has no local header where the central directory says");
        }
        int nameLen = Short.toUnsignedInt(buf.getShort(loc + 26));
        int extraLen = Short.toUnsignedInt(buf.getShort(loc + 28));
        int start = loc + LOC_SIZE + nameLen + extraLen;
        if (start > bytes.length) {
            throw new BadZipEntry(label, entry.name(), "has a local header that runs past the end of the archive");
        }
        String localName = name(label, bytes, loc + LOC_SIZE, nameLen);
        if (!localName.equals(entry.name())) {
            throw new BadZipEntry(label, entry.name(), "is named " + Printable.of(localName) + " in its local header");
        }
        if (start + entry.compressedSize() > bytes.length) {
            throw new BadZipEntry(label, entry.name(), "is truncated");
        }
        int csize = (int) entry.compressedSize();
        int size = (int) entry.size();
        if (entry.method() == STORED) {
            byte[] out = new byte[size];
            System.arraycopy(bytes, start, out, 0, size);
            return out;
        }
        // One byte more than declared: an entry that inflates past its declared size is refused.
        byte[] out = new byte[size + 1];
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(bytes, start, csize);
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != size || !inflater.finished()) {
                throw new BadZipEntry(label, entry.name(), "does not inflate to its declared " + size + " bytes");
            }
            return java.util.Arrays.copyOf(out, size);
        } catch (DataFormatException e) {
            throw new BadZipEntry(label, entry.name(), "is corrupt: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    /**
     * Refuses a name a careless extractor or a second reader could take for another file: empty,
     * absolute ({@code /x}, {@code C:}), with a backslash, a NUL, or an empty, {@code .} or {@code ..}
     * segment.
     */
    static void checkName(String label, String name) {
        String why = null;
        if (name.isEmpty()) {
            why = "is empty";
        } else if (name.startsWith("/")) {
            why = "is an absolute path";
        } else if (name.length() >= 2 && name.charAt(1) == ':') {
            why = "starts with a drive letter";
        } else if (name.indexOf('\\') >= 0) {
            why = "contains a backslash";
        } else if (name.indexOf('\0') >= 0) {
            why = "contains a NUL character";
        } else if (name.chars().anyMatch(Character::isISOControl)) {
            // A newline or an escape sequence in a name would forge lines in dmesg and pkvm verify.
            why = "contains a control character";
        } else {
            String path = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
            for (String segment : path.split("/", -1)) {
                if (segment.equals("..")) {
                    why = "has a '..' segment";
                    break;
                } else if (segment.equals(".") || segment.isEmpty()) {
                    why = "has an empty or '.' segment";
                    break;
                }
            }
        }
        if (why != null) {
            throw new BadZipEntry(label, name, why);
        }
    }

    private static String name(String label, byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            // A name is up to 64 KiB: the message quotes the start of it, enough to find the entry.
            int shown = Math.min(length, MAX_QUOTED_NAME / 4);
            CharBuffer lossy = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, offset, shown));
            throw new BadZipEntry(label, lossy + " (bytes " + java.util.HexFormat.of().formatHex(bytes, offset, offset + shown)
                    + (shown < length ? "..." : "") + ")", "is not a valid UTF-8 name");
        }
    }

    private static int findEnd(String label, ByteBuffer buf) {
        int limit = buf.capacity();
        // The end record is the last thing in the file, followed only by its comment (< 64 KiB).
        for (int p = limit - END_SIZE; p >= 0 && p >= limit - END_SIZE - 0xFFFF; p--) {
            if (buf.getInt(p) == END_SIG && p + END_SIZE + Short.toUnsignedInt(buf.getShort(p + 20)) == limit) {
                return p;
            }
        }
        throw new BadZip(label + " is not a zip archive: no end of central directory record");
    }

    /** An archive whose structure is unreadable. */
    static final class BadZip extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadZip(String message) {
            super(message);
        }
    }

    /** One entry refused: its name, and why. */
    static final class BadZipEntry extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String entry;

        BadZipEntry(String label, String entry, String why) {
            super(label + "!/" + quoted(entry) + " " + why);
            this.entry = entry;
        }

        /** A name is up to 64 KiB: a message quotes its start, printably. */
        private static String quoted(String entry) {
            String printable = Printable.of(entry);
            return printable.length() <= MAX_QUOTED_NAME ? printable : printable.substring(0, MAX_QUOTED_NAME) + "...";
        }

        /** The entry refused. */
        String entry() {
            return entry;
        }
    }
}
