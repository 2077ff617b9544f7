package org.pkvm4j.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.pkvm4j.host.cmdline.BootParam;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.kmi.Kmi;

/**
 * What a device boots from: the kernel command line, the initramfs and the hypervisor image.
 *
 * @param cmdline the kernel command line
 * @param initramfs a directory of module files, or an initramfs image ({@code pkvm initramfs pack})
 * @param hypervisor the hypervisor image: the {@code pkvm4j-hypervisor} jar
 * @param trustedKey the Ed25519 public key (PEM) the initramfs image must be signed with, if any
 * @param faults the faults this boot injects ({@link FaultPlan#none()} for a production boot)
 */
public record BootConfig(String cmdline, Path initramfs, Path hypervisor, Optional<Path> trustedKey, FaultPlan faults) {
    /** The system property naming the hypervisor jar when none is given. */
    public static final String HYPERVISOR_PROPERTY = "pkvm4j.hypervisor";

    /** Checks for nulls. */
    public BootConfig {
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(initramfs, "initramfs");
        Objects.requireNonNull(hypervisor, "hypervisor");
        Objects.requireNonNull(trustedKey, "trustedKey");
        Objects.requireNonNull(faults, "faults");
    }

    /** A configuration that requires no signature and injects no fault. */
    public BootConfig(String cmdline, Path initramfs, Path hypervisor) {
        this(cmdline, initramfs, hypervisor, Optional.empty(), FaultPlan.none());
    }

    /**
     * This configuration, requiring the initramfs to be an image signed by {@code publicKey}: a
     * boot from anything else refuses the protected modules and is insecure.
     */
    public BootConfig withTrustedKey(Path publicKey) {
        return new BootConfig(cmdline, initramfs, hypervisor, Optional.of(publicKey), faults);
    }

    /**
     * This configuration, booting the device as KMI {@code kmi}: {@code pkvm.kmi=} appended to the
     * command line (the last one wins, as in the kernel).
     */
    public BootConfig withKmi(Kmi kmi) {
        return new BootConfig((cmdline.isBlank() ? "" : cmdline + " ") + BootParam.KMI + "=" + kmi.branch(), initramfs,
                hypervisor, trustedKey, faults);
    }

    /** This configuration, injecting {@code plan} instead of its faults. */
    public BootConfig withFaults(FaultPlan plan) {
        return new BootConfig(cmdline, initramfs, hypervisor, trustedKey, plan);
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
            throw new BootConfigException(ErrorCode.BOOT_HYPERVISOR, "no hypervisor image: set -D" + HYPERVISOR_PROPERTY
                    + "=<path to pkvm4j-hypervisor.jar> (./pkvm sets it for you)");
        }
        return new BootConfig(cmdline, initramfs, Path.of(hyp));
    }

    /** Checks that the hypervisor image exists. */
    void checkFiles() {
        if (!Files.isRegularFile(hypervisor)) {
            throw new BootConfigException(ErrorCode.BOOT_HYPERVISOR, "hypervisor image " + hypervisor + " does not exist; build it with ./mvnw package");
        }
    }
}
