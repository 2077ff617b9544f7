package org.pkvm4j.machine;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A zero-filled memory segment that the OS commits page by page as it is touched, without a
 * restricted (native) call: a shared mapping of a sparse, already deleted file on tmpfs.
 *
 * <p>Why shared and why tmpfs: a private (copy-on-write) mapping is writable anonymous memory to the
 * kernel, charged in full against the commit limit when it is created, so under the default
 * heuristic overcommit ({@code vm.overcommit_memory=0}) {@code mem=64G} on a 23 GiB machine fails
 * with "Map failed" (measured). A shared mapping is not charged; on tmpfs its touched pages are
 * shmem (4 KiB each, a read of a hole allocates one too) and nothing is ever written to a disk. The
 * file is deleted as soon as it is mapped, so nothing is left behind even if the JVM dies; the
 * pages go back to the OS when the mapping is unmapped, that is when the automatic arena's segment
 * becomes unreachable.
 */
final class SparseMapping {
    /** Linux's tmpfs mount for shared memory; elsewhere there is no mapping and DRAM is chunked. */
    private static final Path DIR = Path.of("/dev/shm");

    private SparseMapping() {
    }

    /**
     * A fresh zero-filled segment of {@code bytes}, page-aligned, owned by {@code arena}; null if this
     * system has no tmpfs at {@code /dev/shm} or the mapping fails (the caller then commits DRAM its
     * own way).
     */
    static MemorySegment mapOrNull(long bytes, Arena arena) {
        return mapOrNull(DIR, bytes, arena);
    }

    /** {@link #mapOrNull(long, Arena)} with its file in {@code dir} (a test's own directory). */
    static MemorySegment mapOrNull(Path dir, long bytes, Arena arena) {
        Path file = null;
        try {
            if (!isTmpfs(dir)) {
                return null;
            }
            file = Files.createTempFile(dir, "pkvm4j-dram-", ".img");
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(bytes); // a hole: no block of it is allocated
                return raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            }
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file); // the mapping keeps the pages; the name goes now
                } catch (IOException ignored) {
                    // tmpfs: a failed unlink leaves an empty sparse file, no memory
                }
            }
        }
    }

    /** Whether {@code dir} is a directory on tmpfs (memory, never written back to a disk). */
    static boolean isTmpfs(Path dir) {
        try {
            return Files.isDirectory(dir) && "tmpfs".equals(Files.getFileStore(dir).type());
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Linux's {@code /dev/shm}, where {@link #mapOrNull(long, Arena)} puts its files. */
    static Path dir() {
        return DIR;
    }
}
