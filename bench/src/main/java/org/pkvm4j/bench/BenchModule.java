package org.pkvm4j.bench;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.RunningApi;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.InMemoryModuleReference;

/**
 * One bundled module file, read once, with what the loader has in hand when it checks the module
 * and defines its layers: both jars, both descriptors and, if asked for, the running API.
 * {@link #define} does what {@code VendorLayers.define} did before docs/adr/0008, through public API:
 * resolve and {@code defineModulesWithOneLoader}. The loader now defines layers with {@code
 * defineModules} and its own {@code ApprovedClassLoader} (package-private): the same resolve, one
 * loader object more, and no class is defined here either way.
 */
final class BenchModule {
    final String name;
    final ModuleFile file;
    final List<JarImage> jars;
    final JarImage el1;
    final JarImage el2;
    /** The running API, or null if not read. */
    final AbiModel api;
    final ModuleDescriptor el1Descriptor;
    final ModuleDescriptor el2Descriptor;
    final ClassLoader platform = ClassLoader.getPlatformClassLoader();
    private final List<ModuleLayer> parents;
    private final List<Configuration> parentConfigs;

    private BenchModule(String module, boolean withApi) {
        ModuleFile moduleFile = ModuleFile.read(BundledDevice.moduleFile(BundledDevice.initramfs(), module));
        this.file = moduleFile;
        name = moduleFile.name();
        jars = moduleFile.jars();
        el1 = moduleFile.el1();
        el2 = moduleFile.el2().orElseThrow(() -> new IllegalStateException(module + " has no EL2 part"));
        api = withApi ? RunningApi.read() : null;
        el1Descriptor = descriptor(el1);
        el2Descriptor = descriptor(el2);
        ModuleLayer apiLayer = Errno.class.getModule().getLayer();
        if (apiLayer == null) {
            throw new IllegalStateException("org.pkvm4j.api is not a named module: run through BenchMain");
        }
        parents = List.of(apiLayer);
        parentConfigs = List.of(apiLayer.configuration());
    }

    /** Reads {@code <bundled initramfs>/<module>.jar} and, if {@code withApi}, the running API. */
    static BenchModule read(String module, boolean withApi) {
        return new BenchModule(module, withApi);
    }

    /** The EL2 layer, as the loader defines it: no parent loader. */
    ModuleLayer defineEl2() {
        return define(el2Descriptor, el2, null);
    }

    /** The EL1 layer, as the loader defines it: the platform loader as parent. */
    ModuleLayer defineEl1() {
        return define(el1Descriptor, el1, platform);
    }

    /**
     * What {@code VendorLayers.define} does: an in-memory reference and finder, resolve on the
     * configuration of the layer that holds {@code org.pkvm4j.api}, define with one loader.
     */
    private ModuleLayer define(ModuleDescriptor descriptor, JarImage jar, ClassLoader parentLoader) {
        ModuleFinder finder = InMemoryModuleReference.finder(Set.of(new InMemoryModuleReference(descriptor, jar)));
        Configuration cf = Configuration.resolve(finder, parentConfigs, ModuleFinder.of(), Set.of(descriptor.name()));
        return ModuleLayer.defineModulesWithOneLoader(cf, parents, parentLoader).layer();
    }

    /** Reads a jar's descriptor as {@code DescriptorPolicy.read} does. */
    private static ModuleDescriptor descriptor(JarImage jar) {
        byte[] info = jar.entry("module-info.class")
                .orElseThrow(() -> new IllegalStateException(jar.label() + " has no module-info.class"));
        return ModuleDescriptor.read(ByteBuffer.wrap(info), jar::packages);
    }
}
