package org.pkvm4j.host.initramfs;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Zip archives written byte by byte, stored entries only, as an attacker writes them: names as raw
 * bytes (duplicates and invalid UTF-8 included) and sizes as declared, whatever the data.
 */
final class RawZip {
    private record Entry(byte[] name, byte[] data, long declaredSize) {
    }

    private final List<Entry> entries = new ArrayList<>();

    RawZip with(String name, byte[] data) {
        return with(name.getBytes(StandardCharsets.UTF_8), data);
    }

    RawZip with(byte[] name, byte[] data) {
        entries.add(new Entry(name, data, data.length));
        return this;
    }

    /** An entry that declares {@code size} bytes in both headers but carries {@code data}. */
    RawZip declaring(String name, byte[] data, long size) {
        entries.add(new Entry(name.getBytes(StandardCharsets.UTF_8), data, size));
        return this;
    }

    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> offsets = new ArrayList<>();
        for (Entry e : entries) {
            offsets.add(out.size());
            ByteBuffer h = header(30 + e.name().length);
            h.putInt(0x04034b50).putShort((short) 10).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt((int) crc(e.data())).putInt((int) e.declaredSize()).putInt((int) e.declaredSize())
                    .putShort((short) e.name().length).putShort((short) 0).put(e.name());
            out.writeBytes(h.array());
            out.writeBytes(e.data());
        }
        int cen = out.size();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            ByteBuffer h = header(46 + e.name().length);
            h.putInt(0x02014b50).putShort((short) 20).putShort((short) 10).putShort((short) 0).putShort((short) 0)
                    .putInt(0).putInt((int) crc(e.data())).putInt((int) e.declaredSize()).putInt((int) e.declaredSize())
                    .putShort((short) e.name().length).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putInt(0).putInt(offsets.get(i)).put(e.name());
            out.writeBytes(h.array());
        }
        int cenSize = out.size() - cen;
        ByteBuffer end = header(22);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries.size())
                .putShort((short) entries.size()).putInt(cenSize).putInt(cen).putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    private static ByteBuffer header(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long crc(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        return crc.getValue();
    }
}
