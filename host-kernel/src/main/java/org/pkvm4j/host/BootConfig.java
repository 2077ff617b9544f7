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
 * What a device boots from: the kernel command line, the initramfs and the hypervisor image, read
 * from their files by the boot, or from a {@link BootImage} read once for many boots.
 *
 * @param cmdline the kernel command line
 * @param initramfs a directory of module files, or an initramfs image ({@code pkvm initramfs pack})
 * @param hypervisor the hypervisor image: the {@code pkvm4j-hypervisor} jar
 * @param trustedKey the Ed25519 public key (PEM) the initramfs image must be signed with, if any
 * @param faults the faults this boot injects ({@link FaultPlan#none()} for a production boot)
 * @param loaded the boot image the initramfs and hypervisor were read into, if they were: then the
 *     boot reads neither file, and {@code initramfs} and {@code hypervisor} only name where they came from
 */
public record BootConfig(String cmdline, Path initramfs, Path hypervisor, Optional<Path> trustedKey, FaultPlan faults,
        Optional<BootImage> loaded) {
    /** The system property naming the hypervisor jar when none is given. */
    public static final String HYPERVISOR_PROPERTY = "pkvm4j.hypervisor";

    /** Checks for nulls. */
    public BootConfig {
        Objects.requireNonNull(cmdline, "cmdline");
        Objects.requireNonNull(initramfs, "initramfs");
        Objects.requireNonNull(hypervisor, "hypervisor");
        Objects.requireNonNull(trustedKey, "trustedKey");
        Objects.requireNonNull(faults, "faults");
        Objects.requireNonNull(loaded, "loaded");
        if (loaded.isPresent()) {
            BootImage image = loaded.get();
            if (!initramfs.equals(image.rootfs().root()) || !hypervisor.equals(image.hypervisorPath())) {
                throw new IllegalArgumentException("the boot image was read from " + image.rootfs().root() + " and "
                        + image.hypervisorPath() + ", not " + initramfs + " and " + hypervisor);
            }
            if (trustedKey.isPresent()) {
                // Its rootfs was populated with a key or without one: that is the policy of every boot from it.
                throw new IllegalArgumentException("a boot image carries its trust policy (Rootfs.populate's key);"
                        + " it takes no key file " + trustedKey.get());
            }
        }
    }

    /** A configuration of files the boot reads. */
    public BootConfig(String cmdline, Path initramfs, Path hypervisor, Optional<Path> trustedKey, FaultPlan faults) {
        this(cmdline, initramfs, hypervisor, trustedKey, faults, Optional.empty());
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
        return new BootConfig(cmdline, initramfs, hypervisor, Optional.of(publicKey), faults, loaded);
    }

    /**
     * This configuration, booting the device as KMI {@code kmi}: {@code pkvm.kmi=} appended to the
     * command line (the last one wins, as in the kernel).
     */
    public BootConfig withKmi(Kmi kmi) {
        return new BootConfig((cmdline.isBlank() ? "" : cmdline + " ") + BootParam.KMI + "=" + kmi.branch(), initramfs,
                hypervisor, trustedKey, faults, loaded);
    }

    /** This configuration, injecting {@code plan} instead of its faults. */
    public BootConfig withFaults(FaultPlan plan) {
        return new BootConfig(cmdline, initramfs, hypervisor, trustedKey, plan, loaded);
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

    /**
     * A configuration that boots from {@code image}, read once: no file is read by the boot, and
     * no signature is required but the one {@code image}'s rootfs was populated with.
     */
    public static BootConfig of(String cmdline, BootImage image) {
        return new BootConfig(cmdline, image.rootfs().root(), image.hypervisorPath(), Optional.empty(), FaultPlan.none(),
                Optional.of(image));
    }

    /** Checks that the hypervisor image exists (a boot image's was read when it was loaded). */
    void checkFiles() {
        if (loaded.isEmpty()) {
            checkHypervisor(hypervisor);
        }
    }

    /** Refuses a hypervisor image that is not a file. */
    static void checkHypervisor(Path hypervisor) {
        if (!Files.isRegularFile(hypervisor)) {
            throw new BootConfigException(ErrorCode.BOOT_HYPERVISOR, "hypervisor image " + hypervisor + " does not exist; build it with ./mvnw package");
        }
    }
}
