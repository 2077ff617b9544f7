package org.pkvm4j.machine.testing;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.pkvm4j.machine.El2Image;

/**
 * Builds {@link El2Image}s around a real, empty JPMS module defined in its own layer: enough for
 * the bookkeeping of module RAM and the hypervisor's module table, which never link anything from
 * it. Shared with the hypervisor's tests through this module's test jar (one copy, not two).
 */
public final class TestImages {
    private TestImages() {
    }

    /** An image of {@code sizeBytes} whose module {@code test.el2.<name>} has no packages. */
    public static El2Image image(String name, long sizeBytes, List<El2Image.Symbol> symbols) {
        String moduleName = "test.el2." + name.replaceAll("[^A-Za-z0-9_]", "_");
        ModuleReference ref = new ModuleReference(ModuleDescriptor.newModule(moduleName).build(),
                URI.create("memory:///" + moduleName)) {
            @Override
            public ModuleReader open() {
                return new ModuleReader() {
                    @Override
                    public Optional<URI> find(String resource) {
                        return Optional.empty();
                    }

                    @Override
                    public Stream<String> list() {
                        return Stream.empty();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        ModuleFinder finder = new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String n) {
                return n.equals(moduleName) ? Optional.of(ref) : Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Set.of(ref);
            }
        };
        ModuleLayer parent = ModuleLayer.boot();
        Configuration cf = parent.configuration().resolve(finder, ModuleFinder.of(), Set.of(moduleName));
        ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(parent),
                ClassLoader.getPlatformClassLoader());
        Module module = controller.layer().findModule(moduleName).orElseThrow();
        return new El2Image(name, module, controller, symbols, sizeBytes);
    }

    /** As {@link #image(String, long, List)}, without symbols. */
    public static El2Image image(String name, long sizeBytes) {
        return image(name, sizeBytes, List.of());
    }
}
