package org.pkvm4j.host.loader;

import java.lang.ref.WeakReference;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolutionException;
import java.lang.module.ResolvedModule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/**
 * Defines vendor module layers: one per EL1 part, one per EL2 part, each with its own {@link
 * ApprovedClassLoader}, which defines only the classes the checks approved (docs/adr/0008).
 *
 * <p>Every vendor layer is a child of the layer that holds {@code org.pkvm4j.api} (plus, for EL1,
 * the layers of the modules it depends on), and a vendor module reads only what its descriptor
 * requires. The parent loader differs by exception level:
 * <ul>
 *   <li>EL1: the platform class loader, so nothing on the class path leaks in by delegation;</li>
 *   <li>EL2: none. The platform loader hands a class name of any boot-layer module on to the
 *       loader that defines it (the built-in loaders share one package map), so an EL2 loader
 *       parented on it could resolve the host's and the machine's classes by name. An EL2 module
 *       resolves only its own classes, the module API and the {@code java.base} classes of the
 *       run-time allow-list (docs/adr/0004, 0008).</li>
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
     * Defines an EL1 part's layer, on the layers of the modules it depends on, from its checked jar.
     *
     * @throws PkvmException {@code ENOEXEC} if the module cannot be resolved or defined
     */
    ModuleLayer.Controller defineEl1(String module, CheckedModule.Part el1, List<ModuleLayer> dependencies) {
        return define(module, el1, dependencies, null, El2ClassHooks.NONE);
    }

    /**
     * Defines an EL2 part's layer: its loader resolves only its own approved classes, the exports of
     * {@code org.pkvm4j.api}, and the JDK classes {@code jdkAdmitted} names.
     */
    ModuleLayer.Controller defineEl2(String module, CheckedModule.Part el2, Predicate<String> jdkAdmitted,
            El2ClassHooks hooks) {
        return define(module, el2, List.of(), Objects.requireNonNull(jdkAdmitted), hooks);
    }

    private ModuleLayer.Controller define(String module, CheckedModule.Part part, List<ModuleLayer> dependencies,
            Predicate<String> jdkAdmitted, El2ClassHooks hooks) {
        ModuleDescriptor descriptor = part.descriptor();
        List<ModuleLayer> parents = new ArrayList<>(dependencies);
        parents.add(apiLayer);
        List<Configuration> parentConfigs = new ArrayList<>(parents.size());
        for (ModuleLayer l : parents) {
            parentConfigs.add(l.configuration());
        }
        ModuleFinder finder = InMemoryModuleReference.finder(Set.of(new InMemoryModuleReference(descriptor, part.jar())));
        try {
            Configuration cf = Configuration.resolve(finder, parentConfigs, ModuleFinder.of(), Set.of(descriptor.name()));
            ResolvedModule resolved = cf.findModule(descriptor.name()).orElseThrow();
            ClassLoader loader = new ApprovedClassLoader(descriptor.name(), part.jar(), part.classes(),
                    remotePackages(resolved, parents, jdkAdmitted != null), jdkAdmitted, hooks);
            ModuleLayer.Controller controller = ModuleLayer.defineModules(cf, parents, name -> loader);
            defined.add(new Defined(descriptor.name(), new WeakReference<>(controller.layer())));
            return controller;
        } catch (FindException | ResolutionException | LayerInstantiationException e) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": cannot define layer for " + descriptor.name() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The packages exported to {@code resolved} by the modules it reads in the parent layers, each
     * with its module, as the JDK's own loader maps them. An EL2 module reads only {@code
     * org.pkvm4j.api} here: its {@code java.base} goes through the run-time allow-list.
     */
    private static Map<String, Module> remotePackages(ResolvedModule resolved, List<ModuleLayer> parents, boolean el2) {
        Map<String, Module> packages = new HashMap<>();
        for (ResolvedModule other : resolved.reads()) {
            if (el2 && !other.name().equals(DescriptorPolicy.API)) {
                continue;
            }
            Module module = null;
            for (ModuleLayer l : parents) {
                Optional<Module> found = l.findModule(other.name());
                if (found.isPresent()) {
                    module = found.get();
                    break;
                }
            }
            if (module == null) {
                continue;
            }
            for (ModuleDescriptor.Exports e : other.reference().descriptor().exports()) {
                if (!e.isQualified() || e.targets().contains(resolved.name())) {
                    packages.putIfAbsent(e.source(), module);
                }
            }
        }
        return packages;
    }
}
