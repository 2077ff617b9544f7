package org.pkvm4j.host.initramfs;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * The zip central directory reader alone, with small bounds so that the fuzzer reaches them: every
 * outcome is a list of entries whose data reads to exactly the declared size, or a
 * {@link ZipDirectory.BadZip} / {@link ZipDirectory.BadZipEntry} naming the archive (and entry).
 * In the reader's own package: it is package-private, as only {@link JarImage} calls it.
 */
class ZipDirectoryFuzzTest {
    private static final int MAX_ENTRIES = 16;
    private static final long MAX_ENTRY_BYTES = 1 << 16;
    private static final long MAX_TOTAL_BYTES = 1 << 18;

    @FuzzTest
    void read(byte[] input) {
        org.pkvm4j.fuzz.Contract.succeedsOrRefuses("zip directory", () -> {
            List<ZipDirectory.Entry> entries = ZipDirectory.read("fuzz.zip", input, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_TOTAL_BYTES);
            if (entries.size() > MAX_ENTRIES) {
                throw new AssertionError("more entries than the bound: " + entries.size());
            }
            for (ZipDirectory.Entry e : entries) {
                byte[] data = ZipDirectory.data("fuzz.zip", input, e);
                if (data.length != e.size() || e.size() > MAX_ENTRY_BYTES) {
                    throw new AssertionError(e.name() + " read " + data.length + " bytes, declared " + e.size());
                }
            }
        }, ZipDirectory.BadZip.class, ZipDirectory.BadZipEntry.class);
    }
}
