package org.pkvm4j.host.loader;

import java.util.List;

/**
 * Why an unloaded module's layer is still reachable: what the kernel can see holding it.
 *
 * @param module the module name
 * @param el1Module its EL1 JPMS module
 * @param retainers what holds the module's class loader, one description each; empty when the
 *     kernel cannot see the holder (a static field of another class, a shutdown hook, a virtual
 *     thread...)
 */
public record LeakReport(String module, String el1Module, List<String> retainers) {
    /** Copies the list. */
    public LeakReport {
        retainers = List.copyOf(retainers);
    }

    /** One line: the module and everything that retains it. */
    public String describe() {
        return module + ": layer of " + el1Module + " not released after unload; "
                + (retainers.isEmpty()
                        ? "no holder the kernel can see (a static field of another class, a shutdown hook, a virtual thread?)"
                        : "retained by " + String.join("; ", retainers));
    }
}
