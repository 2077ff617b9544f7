package org.pkvm4j.host.loader;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * A module served from a {@link JarImage} in memory: what the loader defines vendor layers from.
 *
 * <p>The module file was read and checked once; classes come from those bytes, never from the
 * file again, and only through the layer's {@link ApprovedClassLoader}, which reads the approved
 * entries itself: this reference serves resolution and tools. Resources are served to {@code Class.getResourceAsStream} (no URL: a module file has
 * no location a {@code jar:} URL could name once it is in memory).
 */
public final class InMemoryModuleReference extends ModuleReference {
    private final JarImage jar;

    public InMemoryModuleReference(ModuleDescriptor descriptor, JarImage jar) {
        super(descriptor, null);
        this.jar = jar;
    }

    /** A finder that knows exactly these references. */
    public static ModuleFinder finder(Set<ModuleReference> references) {
        return new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String name) {
                return references.stream().filter(r -> r.descriptor().name().equals(name)).findFirst();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return references;
            }
        };
    }

    @Override
    public ModuleReader open() {
        return new ModuleReader() {
            @Override
            public Optional<URI> find(String name) {
                return Optional.empty();
            }

            @Override
            public Optional<InputStream> open(String name) {
                return jar.entry(Objects.requireNonNull(name)).map(ByteArrayInputStream::new);
            }

            // Read-only, not copied (the JDK defines every class of the layer from these, per device): the
            // buffer is a view of the checked bytes themselves, and the layer's own code can reach this
            // reader (ResolvedModule.reference()). A writable one would let it change them.
            @Override
            public Optional<ByteBuffer> read(String name) {
                return jar.view(Objects.requireNonNull(name));
            }

            @Override
            public Stream<String> list() {
                return jar.entryNames().stream();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public String toString() {
        return "module " + descriptor().name() + " from " + jar.label();
    }
}
