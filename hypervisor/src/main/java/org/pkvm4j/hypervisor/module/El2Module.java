package org.pkvm4j.hypervisor.module;

import java.util.HashMap;
import java.util.Map;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.MachineConfig;

/**
 * A vendor module's EL2 part as the hypervisor holds it: its image and the hyp VA span of its
 * sections.
 *
 * @param image the image the host handed over
 * @param token the hyp VA of the first section (the EL1 token)
 * @param nrPages pages reserved for the sections
 * @param linked the handler symbols linked so far, by name (guarded by {@code El2Modules})
 * @param containment its register views, running-code identity and stop switch
 */
record El2Module(El2Image image, long token, long nrPages, Map<String, Hcall> linked, ModuleContainment containment) {

    /** A module with nothing linked yet. */
    El2Module(El2Image image, long token, long nrPages, ModuleContainment containment) {
        this(image, token, nrPages, new HashMap<>(), containment);
    }

    /** The vendor module's name. */
    String name() {
        return image.moduleName();
    }

    /** One past the last byte of the span. */
    long end() {
        return token + nrPages * MachineConfig.PAGE_SIZE;
    }

    /** Whether hyp VA {@code va} falls inside this module's sections. */
    boolean contains(long va) {
        return va >= token && va < end();
    }

    // A loaded module is one object, its identity (it holds a map that changes as handlers link):
    // identity, not the record's component-wise equality, whose invokedynamic bootstrap every boot
    // paid again in its fresh hyp layer (ADR 0018).
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
