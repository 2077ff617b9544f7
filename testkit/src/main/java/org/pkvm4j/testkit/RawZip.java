package org.pkvm4j.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A zip archive written byte by byte, as an attacker's tool writes one: entry names are raw bytes
 * ({@code ../x}, {@code /abs}, the same name twice, bytes that are not UTF-8), and nothing is
 * checked. {@link java.util.zip.ZipOutputStream} refuses duplicates and always encodes names; this
 * writer does neither.
 *
 * <p>Entries are stored or deflated, with correct sizes and CRCs in the local header and the
 * central directory (no data descriptors, no zip64: every entry and the archive stay under 4 GiB).
 * A {@linkplain Entry#zeros zero-filled stored entry} is never held in memory: {@link #write(Path)}
 * leaves its bytes as a hole, so a 1 GiB entry costs a sparse file, not a gigabyte.
 */
public final class RawZip {
    /** How an entry's bytes are kept. */
    public enum Method {
        /** Uncompressed (zip method 0). */
        STORED(0),
        /** Deflated (zip method 8), as {@code jar} writes class files. */
        DEFLATED(8);

        private final int code;

        Method(int code) {
            this.code = code;
        }
    }

    /**
     * One entry.
     *
     * @param name the name as written, byte for byte
     * @param data the bytes, or null for {@code zeros} zero bytes
     * @param zeros how many zero bytes a {@code data}-less entry holds
     * @param method stored or deflated
     */
    public record Entry(byte[] name, byte[] data, long zeros, Method method) {
        /** Checks the sizes. */
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(method, "method");
            if (data == null && (zeros < 0 || zeros > 0xffff_fffeL || method != Method.STORED)) {
                throw new IllegalArgumentException("a zero-filled entry is stored and under 4 GiB");
            }
        }

        /** A deflated entry named {@code name} (UTF-8). */
        public static Entry of(String name, byte[] data) {
            return new Entry(name.getBytes(StandardCharsets.UTF_8), data.clone(), 0, Method.DEFLATED);
        }

        /** A stored (uncompressed) entry named {@code name} (UTF-8). */
        public static Entry stored(String name, byte[] data) {
            return new Entry(name.getBytes(StandardCharsets.UTF_8), data.clone(), 0, Method.STORED);
        }

        /** A deflated entry whose name is exactly {@code nameBytes}, valid UTF-8 or not. */
        public static Entry rawName(byte[] nameBytes, byte[] data) {
            return new Entry(nameBytes.clone(), data.clone(), 0, Method.DEFLATED);
        }

        /** A stored entry of {@code size} zero bytes, written as a hole by {@link #write(Path)}. */
        public static Entry zeros(String name, long size) {
            return new Entry(name.getBytes(StandardCharsets.UTF_8), null, size, Method.STORED);
        }

        /** The entry's name decoded as UTF-8 (replacement characters where it is not). */
        public String nameString() {
            return new String(name, StandardCharsets.UTF_8);
        }

        long size() {
            return data == null ? zeros : data.length;
        }
    }

    private final List<Entry> entries = new ArrayList<>();

    /** An empty archive. */
    public RawZip() {
    }

    /** Appends {@code entry}; nothing is checked, duplicates included. */
    public RawZip add(Entry entry) {
        entries.add(Objects.requireNonNull(entry, "entry"));
        return this;
    }

    /** Appends a deflated entry. */
    public RawZip add(String name, byte[] data) {
        return add(Entry.of(name, data));
    }

    /** The entries, in archive order. */
    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** Whether an entry named {@code name} exists. */
    public boolean contains(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return entries.stream().anyMatch(e -> java.util.Arrays.equals(e.name(), bytes));
    }

    /** Removes every entry named {@code name}; returns whether there was one. */
    public boolean remove(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return entries.removeIf(e -> java.util.Arrays.equals(e.name(), bytes));
    }

    /**
     * The archive as bytes.
     *
     * @throws IllegalStateException if it holds a zero-filled entry over 64 MiB (write it to a file)
     */
    public byte[] toBytes() {
        if (entries.stream().anyMatch(e -> e.data() == null && e.zeros() > (64L << 20))) {
            throw new IllegalStateException("a huge zero-filled entry goes to a file: use write(Path)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(new Sink() {
                @Override
                public void write(byte[] b) {
                    out.writeBytes(b);
                }

                @Override
                public void skip(long n) {
                    out.writeBytes(new byte[(int) n]);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes the archive to {@code file}, zero-filled entries as holes (a sparse file). */
    public Path write(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            writeTo(new Sink() {
                @Override
                public void write(byte[] b) throws IOException {
                    ByteBuffer buf = ByteBuffer.wrap(b);
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                }

                @Override
                public void skip(long n) throws IOException {
                    ch.position(ch.position() + n);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    private interface Sink {
        void write(byte[] b) throws IOException;

        void skip(long n) throws IOException;
    }

    private void writeTo(Sink sink) throws IOException {
        long offset = 0;
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        for (Entry e : entries) {
            long crc = crc(e);
            byte[] body = e.method() == Method.DEFLATED ? deflate(e.data()) : e.data();
            long compressed = body == null ? e.zeros() : body.length;
            if (offset + 30 + e.name().length + compressed > 0xffff_ffffL) {
                throw new IllegalStateException("archive over 4 GiB: zip64 is not written");
            }
            // Local file header.
            ByteBuffer local = le(30);
            local.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) e.method().code)
                    .putShort((short) 0).putShort((short) 0x21).putInt((int) crc).putInt((int) compressed)
                    .putInt((int) e.size()).putShort((short) e.name().length).putShort((short) 0);
            sink.write(local.array());
            sink.write(e.name());
            if (body == null) {
                sink.skip(compressed);
            } else {
                sink.write(body);
            }
            // Its central directory record.
            ByteBuffer cen = le(46);
            cen.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0)
                    .putShort((short) e.method().code).putShort((short) 0).putShort((short) 0x21).putInt((int) crc)
                    .putInt((int) compressed).putInt((int) e.size()).putShort((short) e.name().length)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) offset);
            central.writeBytes(cen.array());
            central.writeBytes(e.name());
            offset += 30 + e.name().length + compressed;
        }
        byte[] cd = central.toByteArray();
        sink.write(cd);
        ByteBuffer end = le(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries.size())
                .putShort((short) entries.size()).putInt(cd.length).putInt((int) offset).putShort((short) 0);
        sink.write(end.array());
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long crc(Entry e) {
        CRC32 crc = new CRC32();
        if (e.data() != null) {
            crc.update(e.data());
            return crc.getValue();
        }
        byte[] zeros = new byte[1 << 16];
        for (long left = e.zeros(); left > 0; left -= zeros.length) {
            crc.update(zeros, 0, (int) Math.min(zeros.length, left));
        }
        return crc.getValue();
    }

    private static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buf = new byte[8192];
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }
}
