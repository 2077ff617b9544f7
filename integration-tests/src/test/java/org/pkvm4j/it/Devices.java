package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;

/**
 * Boots devices for the tests: an initramfs made of bundled modules (by module name) and fixture
 * modules (by fixture folder), and a command line.
 */
final class Devices {
    private static final AtomicInteger NEXT = new AtomicInteger();

    private Devices() {
    }

    /** A fresh, empty initramfs directory. */
    static Path newInitramfs() {
        try {
            return Files.createDirectories(FixtureModules.workDir().resolve("initramfs-" + ProcessHandle.current().pid()
                    + "-" + NEXT.incrementAndGet()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the bundled module {@code name} ({@code pkvm_driver}, {@code kvstore}, ...) into {@code initramfs}. */
    static void addBundled(Path initramfs, String name) {
        Path bundled = Path.of(System.getProperty("pkvm4j.it.initramfs")).resolve(name + ".jar");
        copy(bundled, initramfs.resolve(name + ".jar"));
    }

    /** Builds fixture {@code fixture} and puts its module file into {@code initramfs}; returns its module name. */
    static String addFixture(Path initramfs, String fixture) {
        Path file = FixtureModules.build(fixture);
        copy(file, initramfs.resolve(file.getFileName()));
        return FixtureModules.moduleName(fixture);
    }

    /** Puts a module file into {@code initramfs} under its own name. */
    static void addFile(Path initramfs, Path moduleFile) {
        copy(moduleFile, initramfs.resolve(moduleFile.getFileName()));
    }

    /** Boots {@code cmdline} on {@code initramfs} with the bundled hypervisor image. */
    static HostKernel boot(String cmdline, Path initramfs) {
        return HostKernel.boot(BootConfig.of(cmdline, initramfs));
    }

    /** Boots a protected device whose initramfs holds {@code bundled} modules and lists them, in order. */
    static HostKernel bootBundled(String... bundled) {
        Path initramfs = newInitramfs();
        for (String name : bundled) {
            addBundled(initramfs, name);
        }
        return boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + String.join(",", bundled), initramfs);
    }

    /** Asserts that a fresh device in this JVM works: whatever one device's EL2 did stayed in it. */
    static void assertAnotherDeviceWorks() {
        HostKernel other = bootBundled("pkvm_driver");
        assertTrue(other.panic().isEmpty());
        assertEquals(1, other.ioctl("pkvm_driver", 0, 0), "pkvm_driver's selftest passes on another device");
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from, e);
        }
    }
}
