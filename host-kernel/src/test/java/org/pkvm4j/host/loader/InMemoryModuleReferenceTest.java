package org.pkvm4j.host.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleReader;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.initramfs.JarImage;

/** A vendor module's reader serves its checked bytes, and nothing that reads them can change them. */
class InMemoryModuleReferenceTest {
    private static final byte[] DATA = {1, 2, 3, 4};

    private static ModuleReader reader(byte[] bytes) {
        JarImage jar = JarImage.of("acme.jar", Map.of("acme/data.bin", bytes));
        return new InMemoryModuleReference(ModuleDescriptor.newModule("acme").build(), jar).open();
    }

    @Test
    void aReadBufferCannotWriteTheModuleBytes() throws IOException {
        byte[] bytes = DATA.clone();
        ByteBuffer read = reader(bytes).read("acme/data.bin").orElseThrow();
        assertTrue(read.isReadOnly());
        assertThrows(ReadOnlyBufferException.class, () -> read.put(0, (byte) 9));
        assertThrows(UnsupportedOperationException.class, read::array);
        assertArrayEquals(DATA, bytes);
    }

    @Test
    void anOpenedStreamServesTheBytes() throws IOException {
        try (InputStream in = reader(DATA.clone()).open("acme/data.bin").orElseThrow()) {
            assertArrayEquals(DATA, in.readAllBytes());
        }
    }
}
