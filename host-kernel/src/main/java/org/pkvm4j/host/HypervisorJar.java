package org.pkvm4j.host;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolutionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.InMemoryModuleReference;

/**
 * The hypervisor jar read into memory and parsed: its bytes' digest, its entries and its module
 * descriptor. Immutable; every device still defines its own hyp layer from it ({@link
 * HypervisorLayer}), from the configuration kept here.
 *
 * <p>Kernel counterpart: the nVHE hypervisor object ({@code kvm_nvhe.o}) linked into the kernel
 * image, which the bootloader loads into memory with the rest of the kernel.
 */
final class HypervisorJar {
    private final Path path;
    private final String sha256;
    private final JarImage image;
    private final ModuleDescriptor descriptor;
    // The hyp layer's resolution, against the one parent configuration: immutable, and a function of
    // the descriptor and the parent alone, so every device's layer is defined from it (ADR 0026).
    private volatile Resolved resolved;

    // The last jar parsed, by the digest of its bytes (read).
    private static volatile HypervisorJar last;

    private record Resolved(Configuration parent, Configuration configuration) {
    }

    HypervisorJar(Path path, String sha256, JarImage image, ModuleDescriptor descriptor) {
        this.path = path;
        this.sha256 = sha256;
        this.image = image;
        this.descriptor = descriptor;
    }

    Path path() {
        return path;
    }

    String sha256() {
        return sha256;
    }

    JarImage image() {
        return image;
    }

    ModuleDescriptor descriptor() {
        return descriptor;
    }

    /**
     * The configuration of the hyp layer as a child of {@code parent}: resolved on first use and
     * kept, since resolving the same descriptor against the same parent always gives the same one.
     *
     * @throws FindException or {@link ResolutionException} if it does not resolve (not kept)
     */
    Configuration configuration(Configuration parent) {
        Resolved r = resolved;
        if (r != null && r.parent() == parent) {
            return r.configuration();
        }
        ModuleFinder finder = InMemoryModuleReference.finder(Set.of(new InMemoryModuleReference(descriptor, image)));
        Configuration cf = parent.resolve(finder, ModuleFinder.of(), Set.of(HypervisorLayer.MODULE));
        resolved = new Resolved(parent, cf);
        return cf;
    }

    /**
     * Reads the jar at {@code jar} and parses it, unless its bytes are those of the last jar parsed
     * (tests, benchmarks and {@code pkvm explore --read-every-boot} boot one jar again and again from
     * its path): then that parse is reused, named by this path. Immutable either way; every boot
     * still defines its own layer from it.
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
        String sha = ModuleFile.sha256(bytes);
        HypervisorJar cached = last;
        if (cached != null && cached.sha256().equals(sha)) {
            if (cached.path().equals(jar)) {
                return cached;
            }
            // Named by this boot's path: the bytes are the same, the place is this boot's.
            HypervisorJar renamed = new HypervisorJar(jar, sha, cached.image(), cached.descriptor());
            last = renamed;
            return renamed;
        }
        HypervisorJar parsed = parse(jar, bytes, sha);
        last = parsed;
        return parsed;
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
            ModuleDescriptor descriptor = ModuleDescriptor.read(image.view("module-info.class")
                    .orElseThrow(() -> new IOException("no module-info.class")), image::packages);
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
