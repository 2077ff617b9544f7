package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.util.Map;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * A jar read whole from its bytes (a module file, its nested {@code hyp.jar}, an API jar): read, or
 * refused with an {@link java.util.zip.ZipException} or an ENOEXEC refusal naming the entry. What
 * is read stays within the bounds the reader promises.
 */
class JarImageFuzzTest {
    @FuzzTest
    void read(byte[] input) {
        Contract.succeedsOrRefuses("jar", () -> {
            JarImage jar = JarImage.read("fuzz.jar", input);
            long total = 0;
            for (Map.Entry<String, byte[]> e : jar.entries().entrySet()) {
                total += e.getValue().length;
            }
            if (total > JarImage.MAX_BYTES || jar.entries().size() > JarImage.MAX_ENTRIES) {
                throw new AssertionError("a jar over the bounds was read: " + total + " bytes, " + jar.entries().size() + " entries");
            }
            jar.packages();
        }, IOException.class);
    }
}
