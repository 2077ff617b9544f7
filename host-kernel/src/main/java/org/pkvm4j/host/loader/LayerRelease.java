package org.pkvm4j.host.loader;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.pkvm4j.host.dev.MiscDevices;

/**
 * Whether an unloaded module's EL1 layer and class loader were really released: held weakly, so
 * only a leak keeps them.
 *
 * <p>A test awaits {@link #isReleased()} (calling {@link System#gc()} between polls); the kernel
 * and the shell use {@link #await(Duration)}, a bounded wait that names the holders when the layer
 * survives it.
 */
public final class LayerRelease {
    private final String module;
    private final String el1Module;
    private final MiscDevices devices;
    private final ReferenceQueue<Object> cleared = new ReferenceQueue<>();
    private final WeakReference<ModuleLayer> layer;
    private final WeakReference<ClassLoader> loader;

    LayerRelease(String module, String el1Module, ModuleLayer layer, MiscDevices devices) {
        this.module = module;
        this.el1Module = el1Module;
        this.devices = devices;
        this.layer = new WeakReference<>(layer, cleared);
        this.loader = new WeakReference<>(layer.findLoader(el1Module), cleared);
    }

    /** The module name. */
    public String module() {
        return module;
    }

    /** Whether the garbage collector has freed both the layer and its class loader. */
    public boolean isReleased() {
        return layer.refersTo(null) && loader.refersTo(null);
    }

    /**
     * Waits at most {@code timeout} for the layer to be collected, asking for a GC between waits.
     *
     * @return empty if it was released; otherwise what the kernel sees holding it
     */
    public Optional<LeakReport> await(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!isReleased()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return leakReport();
                }
                System.gc();
                // Woken as soon as the reference handler clears one of the two; else re-ask for a GC.
                cleared.remove(Math.max(1, Math.min(100, left / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return leakReport();
        }
        return Optional.empty();
    }

    /** What the kernel sees holding the layer now; empty if it was released. */
    public Optional<LeakReport> leakReport() {
        ClassLoader held = loader.get();
        if (held == null) {
            return isReleased() ? Optional.empty()
                    : Optional.of(new LeakReport(module, el1Module, List.of("its ModuleLayer object (not its loader)")));
        }
        return Optional.of(new LeakReport(module, el1Module, Retainers.of(held, el1Module, devices)));
    }
}
