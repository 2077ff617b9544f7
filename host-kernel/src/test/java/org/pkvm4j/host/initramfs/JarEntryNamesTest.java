package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * Zip entries a module jar may not have, and bounds checked before anything is read: each refusal
 * is {@code ENOEXEC} {@code PKVM-LOAD-BAD-ENTRY} naming the entry.
 */
class JarEntryNamesTest {

    private static String refused(byte[] zip) {
        Refusal r = assertThrows(Refusal.class, () -> JarImage.read("m.jar", zip));
        assertEquals(ErrorCode.LOAD_BAD_ENTRY, r.code(), r.getMessage());
        assertEquals(Errno.ENOEXEC, r.errno());
        assertTrue(r.getMessage().startsWith("ENOEXEC: "), r.getMessage());
        return r.getMessage().substring("ENOEXEC: ".length());
    }

    /** Scenario: a name with a newline would forge a dmesg line: refused, and quoted escaped. */
    @Test
    void aNameWithAControlCharacterIsRefusedAndQuotedEscaped() {
        String message = refused(new RawZip().with("a\n[    0.1] forged.txt", new byte[1]).bytes());
        assertTrue(message.contains("a\\u000a[    0.1] forged.txt contains a control character"), message);
        assertTrue(message.indexOf('\n') < 0, message);
    }

    /**
     * Scenario: a local header whose name length (bytes 26-27) runs past the end of the archive is a
     * refusal naming the entry, not an index error (the reviewer's crafted zip).
     */
    @Test
    void aLocalHeaderLongerThanTheArchiveIsRefused() {
        byte[] zip = new RawZip().with("a.txt", new byte[1]).bytes();
        zip[26] = (byte) 0xFF;
        zip[27] = (byte) 0xFF;
        String message = refused(zip);
        assertTrue(message.contains("a.txt"), message);
    }

    @Test
    void pathsThatLeaveTheArchiveOrAreAbsoluteAreRefused() {
        for (String name : List.of("../x", "a/../../x", "/abs", "C:x", "c:/windows/x", "a\\b.class", "a//b", "./a", "a/./b")) {
            String message = refused(new RawZip().with("ok.txt", new byte[1]).with(name, new byte[1]).bytes());
            assertTrue(message.startsWith("m.jar!/" + name + " "), message);
        }
    }

    @Test
    void duplicateNamesAreRefused() {
        String message = refused(new RawZip().with("a/A.class", new byte[1]).with("a/A.class", new byte[2]).bytes());
        assertEquals("m.jar!/a/A.class appears twice in the archive", message);
    }

    @Test
    void namesThatAreNotUtf8AreRefused() {
        byte[] latin1 = "acme/caf\u00e9.class".getBytes(StandardCharsets.ISO_8859_1);
        String message = refused(new RawZip().with(latin1, new byte[1]).bytes());
        assertTrue(message.contains("is not a valid UTF-8 name") && message.contains("61636d652f636166e92e636c617373"), message);
    }

    @Test
    void anEntryDeclaringMoreThanTheBoundIsRefusedBeforeItIsRead() {
        String message = refused(new RawZip().declaring("big.bin", new byte[4], 1L << 30).bytes());
        assertEquals("m.jar!/big.bin declares 1073741824 bytes uncompressed, over the limit of " + JarImage.MAX_ENTRY_BYTES
                + " bytes per entry", message);
    }

    @Test
    void entriesWhoseDataIsNotWhereTheyDeclareAreRefused() {
        byte[] zip = new RawZip().declaring("short.bin", new byte[4], 4000).bytes();
        assertTrue(refused(zip).startsWith("m.jar!/short.bin "));
    }

    @Test
    void aGoodRawArchiveReads() throws IOException {
        JarImage jar = JarImage.read("m.jar", new RawZip().with("a/A.class", new byte[] {1, 2}).with("b.txt", new byte[3]).bytes());
        assertEquals(List.of("a/A.class", "b.txt"), List.copyOf(jar.entryNames()));
    }

    /**
     * Scenario: a module file of 1 GiB (a stored entry of 1 GiB, the file sparse on disk) is refused
     * from its size alone: reading it allocates next to nothing.
     */
    @Test
    void aHugeModuleFileIsRefusedWithoutReadingIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("huge.jar");
        long gib = 1L << 30;
        byte[] head = new RawZip().declaring("payload.bin", new byte[0], gib).bytes();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(head, 0, 30 + "payload.bin".length());
            raf.setLength(gib + 4096);
        }
        long before = allocatedBytes();
        Refusal r = assertThrows(Refusal.class, () -> ModuleFile.read(file));
        long allocated = allocatedBytes() - before;
        assertEquals(ErrorCode.LOAD_BAD_ENTRY, r.code());
        assertEquals(Errno.ENOEXEC, r.errno());
        assertEquals("ENOEXEC: huge.jar is " + (gib + 4096) + " bytes, over the limit of " + ModuleFile.MAX_FILE_BYTES
                + " bytes per module file; not read", r.getMessage());
        assertTrue(allocated < 1 << 20, "allocated " + allocated + " bytes to refuse it");
    }

    /**
     * Scenario: the same from a directory initramfs: the mount digests the file streaming, and
     * modprobe's read refuses it from its size, both with memory bounded.
     */
    @Test
    void aHugeFileInADirectoryInitramfsIsRefusedWithBoundedMemory(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("huge.jar");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(ModuleFile.MAX_FILE_BYTES + 1);
        }
        long before = allocatedBytes();
        Initramfs initramfs = Initramfs.mount(dir);
        Refusal r = assertThrows(Refusal.class, () -> initramfs.read("huge"));
        long allocated = allocatedBytes() - before;
        assertEquals(ErrorCode.LOAD_BAD_ENTRY, r.code());
        assertTrue(r.getMessage().contains("huge.jar is " + (ModuleFile.MAX_FILE_BYTES + 1) + " bytes, over the limit"), r.getMessage());
        assertTrue(allocated < 4 << 20, "allocated " + allocated + " bytes to mount and refuse it");
    }

    /** com.sun.management.ThreadMXBean's CurrentThreadAllocatedBytes, read through the platform MBean server. */
    private static long allocatedBytes() {
        try {
            return (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(
                    new javax.management.ObjectName(ManagementFactory.THREAD_MXBEAN_NAME), "CurrentThreadAllocatedBytes");
        } catch (javax.management.JMException e) {
            throw new IllegalStateException(e);
        }
    }
}
