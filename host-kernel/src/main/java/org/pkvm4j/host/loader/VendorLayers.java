package org.pkvm4j.host.loader;

import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolutionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * Defines vendor module layers: one per EL1 part, one per EL2 part.
 *
 * <p>Every vendor layer is a child of the layer that holds {@code org.pkvm4j.api} (plus, for EL1,
 * the layers of the modules it depends on), with the platform class loader as the parent loader:
 * nothing on the class path reaches a vendor module by delegation, and a vendor module reads only
 * what its descriptor requires.
 */
final class VendorLayers {
    private final ModuleLayer apiLayer;

    /** Layers parented on the layer that holds {@code org.pkvm4j.api}. */
    VendorLayers() {
        ModuleLayer layer = KernelModule.class.getModule().getLayer();
        if (layer == null) {
            throw new IllegalStateException(DescriptorPolicy.API
                    + " is not a named module: put pkvm4j on the module path (java -p ...), not the class path");
        }
        this.apiLayer = layer;
    }

    /**
     * Defines a layer holding one module.
     *
     * @param dependencies layers of the EL1 modules this one depends on (empty for EL2)
     * @throws PkvmException {@code ENOEXEC} if the module cannot be resolved or defined
     */
    ModuleLayer.Controller define(String module, ModuleDescriptor descriptor, JarImage jar,
            List<ModuleLayer> dependencies) {
        List<ModuleLayer> parents = new ArrayList<>(dependencies);
        parents.add(apiLayer);
        List<Configuration> parentConfigs = parents.stream().map(ModuleLayer::configuration).toList();
        ModuleFinder finder = InMemoryModuleReference.finder(Set.of(new InMemoryModuleReference(descriptor, jar)));
        try {
            Configuration cf = Configuration.resolve(finder, parentConfigs, ModuleFinder.of(), Set.of(descriptor.name()));
            return ModuleLayer.defineModulesWithOneLoader(cf, parents, ClassLoader.getPlatformClassLoader());
        } catch (FindException | ResolutionException | LayerInstantiationException e) {
            throw new PkvmException(Errno.ENOEXEC, module + ": cannot define layer for " + descriptor.name() + ": "
                    + e.getMessage(), e);
        }
    }
}
