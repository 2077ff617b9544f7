package org.pkvm4j.host;

import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ResolutionException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.machine.HypervisorImage;
import org.pkvm4j.machine.Machine;

/**
 * Defines the hyp layer and finds the hypervisor image in it.
 *
 * <p>Kernel counterpart: the nVHE object embedded in the kernel image. The layer is a child of the
 * layer holding {@code org.pkvm4j.machine}, with the platform loader as parent loader, and every
 * device gets a fresh one: no EL2 state is shared between devices. The image's bytes are read into
 * memory, so the layer keeps no file open. What devices do share is immutable: the jar's bytes and
 * descriptor ({@link HypervisorJar}) and the layer's resolved {@link Configuration}, from which each
 * device's layer, class loader, classes and statics are defined anew.
 */
final class HypervisorLayer {
    /** The hypervisor's module name. */
    static final String MODULE = "org.pkvm4j.hypervisor";

    private HypervisorLayer() {
    }

    /**
     * Defines a hyp layer from the jar at {@code jar}, read now ({@link HypervisorJar#read}), and
     * returns its one {@link HypervisorImage}.
     *
     * @throws BootConfigException if the jar is not the hypervisor
     */
    static HypervisorImage load(Path jar) {
        return load(HypervisorJar.read(jar));
    }

    /**
     * Defines a hyp layer from a jar already in memory ({@link BootImage}) and returns its one
     * {@link HypervisorImage}: nothing is read or parsed, only the layer is defined, as for every device.
     *
     * @throws BootConfigException if the layer cannot be defined, or holds not exactly one image
     */
    static HypervisorImage load(HypervisorJar hyp) {
        Path jar = hyp.path();
        ModuleLayer parent = Machine.class.getModule().getLayer();
        if (parent == null) {
            throw new IllegalStateException("org.pkvm4j.machine is not a named module: run pkvm4j on the module path");
        }
        ModuleLayer layer;
        try {
            Configuration cf = hyp.configuration(parent.configuration());
            layer = parent.defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        } catch (FindException | ResolutionException | LayerInstantiationException e) {
            throw new BootConfigException(ErrorCode.BOOT_HYPERVISOR, "cannot define the hyp layer from " + jar + ": " + e.getMessage(), e);
        }
        List<ServiceLoader.Provider<HypervisorImage>> images = ServiceLoader.load(layer, HypervisorImage.class).stream()
                .filter(p -> p.type().getModule().getLayer() == layer)
                .toList();
        if (images.size() != 1) {
            throw new BootConfigException(ErrorCode.BOOT_HYPERVISOR, jar + " provides " + images.size() + " hypervisor images; expected one");
        }
        return images.getFirst().get();
    }
}
