package org.pkvm4j.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.pkvm4j.host.cmdline.BootConfigException;

/**
 * What a device boots from: the kernel command line, the initramfs and the hypervisor image.
 *
 * @param cmdline the kernel command line
 * @param initramfs a directory of module files
 * @param hypervisor the hypervisor image: the {@code pkvm4j-hypervisor} jar
 * @param faults the faults this boot injects ({@link FaultPlan#none()} for a production boot)
 */
public record BootConfig(String cmdline, Path initramfs, Path hypervisor, FaultPlan faults) {
    /** The system property naming the hypervisor jar when none is given. */
    public static final String HYPERVISOR_PROPERTY = "pkvm4j.hypervisor";

    /** Checks for nulls. */
    public BootConfig {
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(initramfs, "initramfs");
        Objects.requireNonNull(hypervisor, "hypervisor");
        Objects.requireNonNull(faults, "faults");
    }

    /** A configuration without fault injection. */
    public BootConfig(String cmdline, Path initramfs, Path hypervisor) {
        this(cmdline, initramfs, hypervisor, FaultPlan.none());
    }

    /** This configuration, injecting {@code plan} instead of its faults. */
    public BootConfig withFaults(FaultPlan plan) {
        return new BootConfig(cmdline, initramfs, hypervisor, plan);
    }

    /**
     * A configuration with the hypervisor image named by the system property {@value
     * #HYPERVISOR_PROPERTY}.
     *
     * @throws BootConfigException if the property is unset or names no file
     */
    public static BootConfig of(String cmdline, Path initramfs) {
        String hyp = System.getProperty(HYPERVISOR_PROPERTY);
        if (hyp == null || hyp.isBlank()) {
            throw new BootConfigException("no hypervisor image: set -D" + HYPERVISOR_PROPERTY
                    + "=<path to pkvm4j-hypervisor.jar> (./pkvm sets it for you)");
        }
        return new BootConfig(cmdline, initramfs, Path.of(hyp));
    }

    /** Checks that the hypervisor image exists. */
    void checkFiles() {
        if (!Files.isRegularFile(hypervisor)) {
            throw new BootConfigException("hypervisor image " + hypervisor + " does not exist; build it with ./mvnw package");
        }
    }
}
