package org.pkvm4j.host;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;

/**
 * The hypervisor jar read into memory and parsed: its bytes' digest, its entries and its module
 * descriptor. Immutable; every device still defines its own hyp layer from it ({@link
 * HypervisorLayer}).
 *
 * <p>Kernel counterpart: the nVHE hypervisor object ({@code kvm_nvhe.o}) linked into the kernel
 * image, which the bootloader loads into memory with the rest of the kernel.
 *
 * @param path where it was read from
 * @param sha256 the SHA-256 of the jar, hex
 * @param image its entries
 * @param descriptor the {@value HypervisorLayer#MODULE} module's descriptor
 */
record HypervisorJar(Path path, String sha256, JarImage image, ModuleDescriptor descriptor) {

    /**
     * Reads and parses the jar at {@code jar}.
     *
     * @throws BootConfigException if it cannot be read, or is not the hypervisor's modular jar
     */
    static HypervisorJar read(Path jar) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(jar);
        } catch (IOException e) {
            throw notModular(jar, e);
        }
        return parse(jar, bytes, ModuleFile.sha256(bytes));
    }

    /**
     * Parses the bytes of the jar read from {@code jar}, whose digest is {@code sha256}.
     *
     * @throws BootConfigException if they are not the hypervisor's modular jar
     */
    static HypervisorJar parse(Path jar, byte[] bytes, String sha256) {
        HypervisorJar parsed;
        try {
            JarImage image = JarImage.read(jar.toString(), bytes);
            ModuleDescriptor descriptor = ModuleDescriptor.read(ByteBuffer.wrap(image.entry("module-info.class")
                    .orElseThrow(() -> new IOException("no module-info.class"))), image::packages);
            parsed = new HypervisorJar(jar, sha256, image, descriptor);
        } catch (IOException | RuntimeException e) {
            throw notModular(jar, e);
        }
        if (!parsed.descriptor().name().equals(HypervisorLayer.MODULE)) {
            throw new BootConfigException(ErrorCode.BOOT_HYPERVISOR, "hypervisor image " + jar + " holds module "
                    + parsed.descriptor().name() + ", not " + HypervisorLayer.MODULE);
        }
        return parsed;
    }

    private static BootConfigException notModular(Path jar, Exception e) {
        return new BootConfigException(ErrorCode.BOOT_HYPERVISOR, "hypervisor image " + jar + " is not a modular jar: " + e.getMessage(), e);
    }
}
