package org.pkvm4j.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.cmdline.BootParam;
import org.pkvm4j.host.initramfs.Initramfs;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Machine;

/**
 * One booted test device: its host kernel and the initramfs directory made for it.
 *
 * <p>{@link PkvmBoot} makes one per test; {@link #builder()} makes one by hand (a test that builds
 * its module file itself, or boots several devices). Closing it deletes its initramfs. The host
 * kernel holds nothing else to release: DRAM is freed by the garbage collector once the device is
 * unreachable, and the layers hold no open file.
 */
public final class PkvmDevice implements AutoCloseable {
    /** The system property naming the folder for the devices' initramfs directories. */
    public static final String WORK_PROPERTY = "pkvm4j.testkit.work";

    private final HostKernel kernel;
    private final Path initramfs;
    private boolean closed;

    private PkvmDevice(HostKernel kernel, Path initramfs) {
        this.kernel = kernel;
        this.initramfs = initramfs;
    }

    /** A builder for a device booted by hand. */
    public static Builder builder() {
        return new Builder();
    }

    /** The host kernel. */
    public HostKernel kernel() {
        return kernel;
    }

    /** The machine. */
    public Machine machine() {
        return kernel.machine();
    }

    /** The boot report. */
    public BootReport report() {
        return kernel.bootReport();
    }

    /** The kernel log. */
    public KernelLog log() {
        return kernel.log();
    }

    /** The device's initramfs directory (deleted on close). */
    public Path initramfs() {
        return initramfs;
    }

    /**
     * The HVC handle of loaded module {@code name}.
     *
     * @throws org.opentest4j.AssertionFailedError if it is not loaded, quoting the kernel log about it
     */
    public ModuleHvcs module(String name) {
        LoadedModule loaded = kernel.lsmod().stream().filter(m -> sameName(m.name(), name)).findFirst().orElse(null);
        Pkvm pkvm = kernel.pkvm(name).orElse(null);
        if (loaded == null || pkvm == null) {
            org.junit.jupiter.api.Assertions.fail("module " + name + " is not loaded (lsmod: "
                    + kernel.lsmod().stream().map(LoadedModule::name).toList() + ")\n"
                    + Dmesg.about(kernel.log(), name));
        }
        return new ModuleHvcs(loaded, pkvm);
    }

    /** Deletes the initramfs directory; closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        deleteTree(initramfs);
    }

    static boolean sameName(String a, String b) {
        return a.replace('-', '_').equals(b.replace('-', '_'));
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the test initramfs " + dir, e);
        }
    }

    /** What to boot; see {@link PkvmBoot} for the meaning and defaults of each part. */
    public static final class Builder {
        private String cmdline = "";
        private final List<Path> modules = new ArrayList<>();
        private Path initramfs;
        private int nrCpus = 2;
        private String mem = "256M";
        private Path hypervisor;
        private FaultPlan faults = FaultPlan.none();

        private Builder() {
        }

        /** The command line; empty for the default (protected, listing the modules). */
        public Builder cmdline(String value) {
            cmdline = Objects.requireNonNull(value, "cmdline");
            return this;
        }

        /** Adds a module file; it is listed on the default command line, in the order added. */
        public Builder module(Path file) {
            modules.add(Objects.requireNonNull(file, "file"));
            return this;
        }

        /** A directory whose module files are copied into the device's initramfs too. */
        public Builder initramfs(Path dir) {
            initramfs = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** {@code nr_cpus=}. */
        public Builder nrCpus(int value) {
            nrCpus = value;
            return this;
        }

        /** {@code mem=}, for example {@code 256M}. */
        public Builder mem(String value) {
            mem = Objects.requireNonNull(value, "mem");
            return this;
        }

        /** The hypervisor image; unset for the system property {@value BootConfig#HYPERVISOR_PROPERTY}. */
        public Builder hypervisor(Path jar) {
            hypervisor = Objects.requireNonNull(jar, "jar");
            return this;
        }

        /** The faults the boot injects ({@link BootConfig#withFaults}); none by default. */
        public Builder faults(FaultPlan plan) {
            faults = Objects.requireNonNull(plan, "plan");
            return this;
        }

        /**
         * Makes a fresh initramfs directory, boots the device on it and returns it; the caller closes it.
         *
         * @throws IllegalArgumentException for a module file that does not exist or is not one, or an
         *     initramfs that is not a directory
         * @throws org.pkvm4j.host.diag.BootConfigException as {@link HostKernel#boot}
         */
        public PkvmDevice boot() {
            Map<String, Path> named = new LinkedHashMap<>();
            for (Path file : modules) {
                named.put(moduleName(file), file);
            }
            Path dir = newInitramfsDir();
            try {
                if (initramfs != null) {
                    copyModuleFiles(initramfs, dir);
                }
                for (Map.Entry<String, Path> e : named.entrySet()) {
                    Files.copy(e.getValue(), dir.resolve(e.getKey() + Initramfs.MODULE_SUFFIX),
                            StandardCopyOption.REPLACE_EXISTING);
                }
                String line = commandLine(List.copyOf(named.keySet()));
                BootConfig config = hypervisor == null ? BootConfig.of(line, dir) : new BootConfig(line, dir, hypervisor);
                return new PkvmDevice(HostKernel.boot(config.withFaults(faults)), dir);
            } catch (IOException e) {
                deleteTree(dir);
                throw new UncheckedIOException("cannot fill the test initramfs " + dir, e);
            } catch (RuntimeException e) {
                deleteTree(dir);
                throw e;
            }
        }

        String commandLine(List<String> names) {
            StringBuilder line = new StringBuilder();
            if (cmdline.isBlank()) {
                line.append("kvm-arm.mode=protected");
                if (!names.isEmpty()) {
                    line.append(' ').append(BootParam.PROTECTED_MODULES).append('=').append(String.join(",", names));
                }
            } else {
                line.append(cmdline.strip());
            }
            if (!hasParam(line, "nr_cpus")) {
                line.append(" nr_cpus=").append(nrCpus);
            }
            if (!hasParam(line, "mem")) {
                line.append(" mem=").append(mem);
            }
            return line.toString();
        }

        private static boolean hasParam(CharSequence line, String key) {
            return (" " + line).contains(" " + key + "=");
        }

        private static String moduleName(Path file) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("module file " + file.toAbsolutePath()
                        + " does not exist: build it first (mvn package runs the *IT tests after the jar is made)");
            }
            try {
                return ModuleFile.read(file).name();
            } catch (PkvmException e) {
                throw new IllegalArgumentException("cannot put " + file + " into the initramfs: " + e.getMessage(), e);
            }
        }

        private static void copyModuleFiles(Path from, Path to) throws IOException {
            if (!Files.isDirectory(from)) {
                throw new IllegalArgumentException("initramfs " + from.toAbsolutePath() + " is not a directory");
            }
            try (Stream<Path> files = Files.list(from)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(Initramfs.MODULE_SUFFIX)).toList()) {
                    Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }

        private static Path newInitramfsDir() {
            String work = System.getProperty(WORK_PROPERTY);
            try {
                Path root = work == null || work.isBlank() ? Path.of(System.getProperty("java.io.tmpdir"))
                        : Files.createDirectories(Path.of(work));
                return Files.createTempDirectory(root, "initramfs-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make a test initramfs directory", e);
            }
        }
    }
}
