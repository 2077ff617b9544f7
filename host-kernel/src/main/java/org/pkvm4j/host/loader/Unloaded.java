package org.pkvm4j.host.loader;

import java.util.List;
import java.util.Optional;

/**
 * What {@code rmmod} did.
 *
 * @param name the module name
 * @param devices the misc devices the kernel deregistered after the exit hook, {@code /dev} names
 * @param exitFailure what the exit hook threw, if it threw (the unload completes anyway, as a
 *     {@code module_exit} cannot fail)
 * @param release the check that its layer and class loader are really gone
 */
public record Unloaded(String name, List<String> devices, Optional<String> exitFailure, LayerRelease release) {
    /** Copies the list. */
    public Unloaded {
        devices = List.copyOf(devices);
    }
}
