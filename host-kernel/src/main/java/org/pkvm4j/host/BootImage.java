package org.pkvm4j.host;

import java.nio.file.Path;
import java.util.Objects;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.initramfs.Initramfs;
import org.pkvm4j.host.initramfs.Rootfs;

/**
 * What a device boots from, read into memory once: the initramfs unpacked ({@link Rootfs}) and the
 * hypervisor jar read and parsed. Immutable; any number of devices boot from it ({@link
 * BootConfig#of(String, BootImage)}), each mounting, measuring and checking those bytes as a boot
 * from the files would, and each defining its own layers.
 *
 * <p>Kernel counterpart: the boot image ({@code boot.img}: the kernel, with the nVHE hypervisor
 * linked in, and the ramdisk) as the bootloader loaded it into memory, before {@code
 * populate_rootfs} unpacks the ramdisk. {@code pkvm explore} loads one and boots hundreds of
 * devices from it (docs/adr/0026-boot-image-read-once.md).
 */
public final class BootImage {
    private final Rootfs rootfs;
    private final HypervisorJar hypervisor;

    private BootImage(Rootfs rootfs, HypervisorJar hypervisor) {
        this.rootfs = rootfs;
        this.hypervisor = hypervisor;
    }

    /**
     * Loads the hypervisor jar at {@code hypervisor} next to {@code rootfs}.
     *
     * @param rootfs the initramfs, populated with the trust policy every boot from it gets
     * @param hypervisor the hypervisor image: the {@code pkvm4j-hypervisor} jar
     * @return the boot image
     * @throws BootConfigException if the jar does not exist or is not the hypervisor's modular jar:
     *     the configuration error a boot from the file gives, once
     */
    public static BootImage load(Rootfs rootfs, Path hypervisor) {
        Objects.requireNonNull(rootfs, "rootfs");
        return new BootImage(rootfs, readHypervisor(hypervisor));
    }

    /**
     * Reads and checks the hypervisor jar at {@code hypervisor} as {@link #load} does, for a caller
     * that boots from the files ({@code pkvm explore --read-every-boot}) and wants a bad jar to be
     * the configuration error it is, once, before any boot.
     *
     * @param hypervisor the hypervisor image: the {@code pkvm4j-hypervisor} jar
     * @throws BootConfigException if the jar does not exist or is not the hypervisor's modular jar
     */
    public static void checkHypervisor(Path hypervisor) {
        readHypervisor(hypervisor);
    }

    private static HypervisorJar readHypervisor(Path hypervisor) {
        BootConfig.checkHypervisor(hypervisor);
        return HypervisorJar.read(hypervisor);
    }

    /** The initramfs, in memory; every boot mounts it ({@link Initramfs#mount(Rootfs)}). */
    public Rootfs rootfs() {
        return rootfs;
    }

    /** Where the hypervisor jar was read from. */
    public Path hypervisorPath() {
        return hypervisor.path();
    }

    /** The hypervisor jar's SHA-256, hex. */
    public String hypervisorSha256() {
        return hypervisor.sha256();
    }

    HypervisorJar hypervisor() {
        return hypervisor;
    }
}
