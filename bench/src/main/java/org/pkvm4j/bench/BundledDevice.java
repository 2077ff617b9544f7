package org.pkvm4j.bench;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.loader.ModuleLoader;

/**
 * The bundled device of {@code ./pkvm boot}: its initramfs ({@code dist/target/pkvm4j/initramfs},
 * the module files built by vendor-modules/) and command line, for {@link ModuleChecksBench} and
 * {@link BootBench}.
 *
 * <p>The initramfs is the directory named by {@value #INITRAMFS_PROPERTY} (pass it with {@code
 * -jvmArgsAppend -Dpkvm4j.bench.bundled=DIR}); by default it is found from the benchmark jar's own
 * location, {@code bench/target/../../dist/target/pkvm4j/initramfs}, as {@link BenchMain} finds the
 * hypervisor. {@code ./pkvm bench} builds bench/ only: build the image first with {@code ./pkvm
 * boot} or {@code ./mvnw -Dmaven.test.skip=true package -pl dist -am}.
 */
final class BundledDevice {
    /** The system property naming the bundled initramfs directory. */
    static final String INITRAMFS_PROPERTY = "pkvm4j.bench.bundled";
    /** The bundled module files with an EL2 part. */
    static final List<String> EL2_MODULES = List.of("kvstore", "percpu_counter", "pkvm_driver");
    /** The bundled device's command line, every check on (the default). */
    static final String CMDLINE = "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore nr_cpus=4";
    /** The switches that turn both load-time checks off. */
    static final String CHECKS_OFF = ModuleLoader.EL2_VERIFY + "=0 " + ModuleLoader.MODVERSIONS + "=0";
    /** The modules the command line loads at boot. */
    static final List<String> BOOT_MODULES = List.of("pkvm_driver", "kvstore");

    private BundledDevice() {
    }

    /**
     * The bundled initramfs directory.
     *
     * @throws IllegalStateException if it or one of the bundled module files is missing
     */
    static Path initramfs() {
        String given = System.getProperty(INITRAMFS_PROPERTY);
        Path dir;
        if (given != null && !given.isBlank()) {
            dir = Path.of(given);
        } else {
            try {
                dir = BenchMain.home().resolve("../../dist/target/pkvm4j/initramfs").normalize();
            } catch (URISyntaxException e) {
                throw new IllegalStateException("cannot locate the benchmark jar", e);
            }
        }
        for (String module : EL2_MODULES) {
            if (!Files.isRegularFile(moduleFile(dir, module))) {
                throw new IllegalStateException(moduleFile(dir, module) + " is missing: build the device image with"
                        + " ./mvnw -Dmaven.test.skip=true package -pl dist -am (or ./pkvm boot), or pass"
                        + " -jvmArgsAppend -D" + INITRAMFS_PROPERTY + "=<initramfs dir>");
            }
        }
        return dir;
    }

    /** The module file of {@code module} in {@code initramfs}. */
    static Path moduleFile(Path initramfs, String module) {
        return initramfs.resolve(module + ".jar");
    }

    /**
     * The bundled device's boot configuration, with every check on or with both off; the hypervisor
     * is named by {@code -Dpkvm4j.hypervisor} (BenchMain sets it for every fork).
     */
    static BootConfig bootConfig(boolean checks) {
        return BootConfig.of(checks ? CMDLINE : CMDLINE + " " + CHECKS_OFF, initramfs());
    }
}
