package org.pkvm4j.host.initramfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.pkvm4j.host.cmdline.BootConfigException;
import org.pkvm4j.host.cmdline.ProtectedModules;
import org.pkvm4j.host.diag.ErrorCode;

/**
 * The initial RAM filesystem: a directory of module files named {@code <module>.jar}.
 *
 * <p>Kernel counterpart: the initramfs that {@code modprobe} searches when {@code
 * pkvm_load_early_modules} runs. Lookup compares names as modprobe does ({@code -} equals {@code
 * _}).
 */
public final class Initramfs {
    /** The extension of module files. */
    public static final String MODULE_SUFFIX = ".jar";

    private final Path root;

    private Initramfs(Path root) {
        this.root = root;
    }

    /**
     * Mounts a directory.
     *
     * @throws BootConfigException if it is not a readable directory
     */
    public static Initramfs mount(Path root) {
        if (!Files.isDirectory(root)) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "initramfs " + root + " is not a directory; pass a folder of module files");
        }
        return new Initramfs(root.toAbsolutePath().normalize());
    }

    /** The mounted directory. */
    public Path root() {
        return root;
    }

    /** The file of module {@code name}, if the initramfs has it. */
    public Optional<Path> find(String name) {
        String wanted = ProtectedModules.normalize(name);
        return list().stream().filter(p -> moduleName(p).equals(wanted)).findFirst();
    }

    /** Every module file, sorted by name. */
    public List<Path> list() {
        try (Stream<Path> files = Files.list(root)) {
            return files.filter(p -> p.getFileName().toString().endsWith(MODULE_SUFFIX))
                    .filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "cannot list initramfs " + root + ": " + e.getMessage(), e);
        }
    }

    /** The module name a file provides, from its file name. */
    public static String moduleName(Path file) {
        String f = file.getFileName().toString();
        return ProtectedModules.normalize(f.substring(0, f.length() - MODULE_SUFFIX.length()));
    }
}
