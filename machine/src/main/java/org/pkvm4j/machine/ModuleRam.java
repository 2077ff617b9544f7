package org.pkvm4j.machine;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The memory the host places EL2 module images in before handing them to the hypervisor.
 *
 * <p>Kernel counterpart: the vmalloc area holding a module's {@code .hyp} sections. Only registers
 * cross the EL1/EL2 boundary, so the host passes the image's physical address; the hypervisor takes
 * the image from there ({@link HypPlatform#takeModuleImage(long)}) and the host no longer reaches
 * it. An image the hypervisor did not take (the call was refused) is freed by the host.
 */
public final class ModuleRam {
    /** Physical base of the area: above DRAM's first GiB, page aligned. */
    public static final long BASE = 0x1_0000_0000L;

    private final Map<Long, El2Image> placed = new HashMap<>();
    private long next = BASE;

    ModuleRam() {
    }

    /** Places {@code image} and returns its physical address. */
    public synchronized long place(El2Image image) {
        Objects.requireNonNull(image, "image");
        long pa = next;
        next += image.nrPages() * MachineConfig.PAGE_SIZE;
        placed.put(pa, image);
        return pa;
    }

    /**
     * Frees an image the hypervisor did not take.
     *
     * @return true if an image was still placed at {@code pa}
     */
    public synchronized boolean free(long pa) {
        return placed.remove(pa) != null;
    }

    /** How many images are placed and not yet taken or freed; zero after every boot step. */
    public synchronized int placedCount() {
        return placed.size();
    }

    synchronized El2Image take(long pa) {
        return placed.remove(pa);
    }
}
