package org.pkvm4j.host.loader;

import java.lang.ref.WeakReference;
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
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.preempt.PreemptionException;
import org.pkvm4j.host.preempt.PreemptionPoints;

/**
 * Defines vendor module layers: one per EL1 part, one per EL2 part.
 *
 * <p>Every vendor layer is a child of the layer that holds {@code org.pkvm4j.api} (plus, for EL1,
 * the layers of the modules it depends on), and a vendor module reads only what its descriptor
 * requires. The parent loader differs by exception level:
 * <ul>
 *   <li>EL1: the platform class loader, so nothing on the class path leaks in by delegation;</li>
 *   <li>EL2: none (the bootstrap loader). The platform loader hands a class name of any boot-layer
 *       module on to the loader that defines it (the built-in loaders share one package map), so an
 *       EL2 loader parented on it could resolve the host's and the machine's classes by name. With
 *       no parent an EL2 module resolves only its own classes, the module API and {@code java.base}
 *       (docs/adr/0004).</li>
 * </ul>
 */
final class VendorLayers {
    private final ModuleLayer apiLayer;
    // Every vendor layer ever defined, weakly: what is still reachable is what someone keeps.
    private final List<Defined> defined = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A layer this factory defined, held weakly. */
    private record Defined(String name, WeakReference<ModuleLayer> layer) {
    }

    /** Layers parented on the layer that holds {@code org.pkvm4j.api}. */
    VendorLayers() {
        ModuleLayer layer = KernelModule.class.getModule().getLayer();
        if (layer == null) {
            throw new IllegalStateException(DescriptorPolicy.API
                    + " is not a named module: put pkvm4j on the module path (java -p ...), not the class path");
        }
        this.apiLayer = layer;
    }

    /** The JPMS module names of the vendor layers still reachable, oldest first. */
    List<String> live() {
        defined.removeIf(d -> d.layer().refersTo(null));
        return defined.stream().map(Defined::name).toList();
    }

    /**
     * Defines an EL1 part's layer, on the layers of the modules it depends on.
     *
     * @throws PkvmException {@code ENOEXEC} if the module cannot be resolved or defined
     */
    ModuleLayer.Controller defineEl1(String module, ModuleDescriptor descriptor, JarImage jar,
            List<ModuleLayer> dependencies) {
        return define(module, descriptor, jar, dependencies, ClassLoader.getPlatformClassLoader());
    }

    /**
     * Defines an EL2 part's layer, whose loader has no parent, from its classes with preemption
     * points and its generated preemption flag class ({@link PreemptionPoints}).
     *
     * @throws PkvmException {@code ENOEXEC} if the code cannot be made stoppable or the layer defined
     */
    ModuleLayer.Controller defineEl2(String module, ModuleDescriptor descriptor, JarImage jar) {
        JarImage stoppable;
        try {
            stoppable = JarImage.of(jar.label(), PreemptionPoints.apply(descriptor.packages(), jar.entries()));
        } catch (PreemptionException e) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": EL2 code cannot be made stoppable: "
                    + e.getMessage(), e);
        }
        return define(module, descriptor, stoppable, List.of(), null);
    }

    private ModuleLayer.Controller define(String module, ModuleDescriptor descriptor, JarImage jar,
            List<ModuleLayer> dependencies, ClassLoader parentLoader) {
        List<ModuleLayer> parents = new ArrayList<>(dependencies);
        parents.add(apiLayer);
        List<Configuration> parentConfigs = parents.stream().map(ModuleLayer::configuration).toList();
        ModuleFinder finder = InMemoryModuleReference.finder(Set.of(new InMemoryModuleReference(descriptor, jar)));
        try {
            Configuration cf = Configuration.resolve(finder, parentConfigs, ModuleFinder.of(), Set.of(descriptor.name()));
            ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, parents, parentLoader);
            defined.add(new Defined(descriptor.name(), new WeakReference<>(controller.layer())));
            return controller;
        } catch (FindException | ResolutionException | LayerInstantiationException e) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": cannot define layer for " + descriptor.name() + ": "
                    + e.getMessage(), e);
        }
    }
}
