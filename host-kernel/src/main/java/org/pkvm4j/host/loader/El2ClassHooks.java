package org.pkvm4j.host.loader;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * What the hypervisor's build adds to an EL2 layer's classes, and nothing else may: a transform of
 * every approved class right before it is defined, and classes it generated itself.
 *
 * <p>Kernel counterpart: the hyp build's own objects linked into a module ({@code hyp/Makefile.module}
 * adds its entry code and instrumentation; the vendor never supplies them). For EL2 layers only;
 * the EL1 loader has no hooks. {@link #NONE} changes nothing.
 *
 * @param transform given a class's binary name and its approved bytes, after their digest was
 *     checked, the bytes to define (for example with preemption points inserted)
 * @param generated extra classes by binary name, each in one of the module's packages and named
 *     unlike any class of the module; the loader defines them when the JVM asks for them
 * @param stopFlag which generated class holds the module's preemption flag, if any: the EL2 image
 *     names it to the hypervisor, which stops the module's code through it
 */
public record El2ClassHooks(BiFunction<String, byte[], byte[]> transform, Map<String, byte[]> generated,
        Optional<String> stopFlag) {
    /** No transform, no generated class. */
    public static final El2ClassHooks NONE = new El2ClassHooks((name, bytes) -> bytes, Map.of(), Optional.empty());

    /** Copies the map. */
    public El2ClassHooks {
        Objects.requireNonNull(transform, "transform");
        generated = Map.copyOf(generated);
        if (stopFlag.isPresent() && !generated.containsKey(stopFlag.get())) {
            throw new IllegalArgumentException("the stop flag " + stopFlag.get() + " is not a generated class");
        }
    }

    /** Hooks with no preemption flag (tests of the loader). */
    public El2ClassHooks(BiFunction<String, byte[], byte[]> transform, Map<String, byte[]> generated) {
        this(transform, generated, Optional.empty());
    }
}
