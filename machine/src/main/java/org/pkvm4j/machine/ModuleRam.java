package org.pkvm4j.machine;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;

/**
 * The DRAM pages the host places EL2 module images in before handing them to the hypervisor.
 *
 * <p>Kernel counterpart: the vmalloc area holding a module's {@code .hyp} sections, and the pages
 * behind it. Only registers cross the EL1/EL2 boundary, so the host passes the image's physical
 * address; the hypervisor takes the image from there ({@link HypPlatform#takeModuleImage(long)}) and
 * {@code __pkvm_init_module} donates its pages host→hyp, so the host no longer reaches them. An
 * image the hypervisor did not keep (the call was refused, the init failed: its pages were donated
 * back) is freed by the host, and its pages can hold a later image.
 *
 * <p>The pages are real DRAM pages, taken from the top of DRAM downwards: the area is at most
 * {@link #MAX_AREA} and at most half of DRAM, so it never meets the low memory a test or a module
 * uses for its own pages. Images of {@link El2Image#nrPages()} pages each, page aligned.
 */
public final class ModuleRam {
    /** The most DRAM the area takes: 128 MiB, as the kernel's module area. */
    public static final long MAX_AREA = 128L << 20;

    private final Dram dram;
    private final long floor;
    private final Map<Long, El2Image> placed = new HashMap<>();
    private final TreeMap<Long, Long> allocations = new TreeMap<>();
    private final TreeMap<Long, Long> freeRanges = new TreeMap<>();
    private long low;

    ModuleRam(Dram dram) {
        this.dram = dram;
        long area = Math.min(MAX_AREA, (dram.size() / 2) & -MachineConfig.PAGE_SIZE);
        this.floor = dram.end() - area;
        this.low = dram.end();
    }

    /**
     * Places {@code image} in free pages of the area and returns the physical address of the first.
     *
     * @throws PkvmException {@code ENOMEM} if the area has no room for it
     */
    public synchronized long place(El2Image image) {
        Objects.requireNonNull(image, "image");
        long nr = image.nrPages();
        long pa = allocate(nr);
        allocations.put(pa, nr);
        placed.put(pa, image);
        return pa;
    }

    /**
     * Frees the pages at {@code pa} (a load that failed: the hypervisor gave them back, or never took
     * them) and the image there if the hypervisor did not take it.
     *
     * @return true if an image was still placed at {@code pa}
     */
    public synchronized boolean free(long pa) {
        Long nr = allocations.remove(pa);
        if (nr != null) {
            freeRanges.put(pa, nr);
        }
        return placed.remove(pa) != null;
    }

    /** How many images are placed and not yet taken or freed; zero after every boot step. */
    public synchronized int placedCount() {
        return placed.size();
    }

    /**
     * Every range in use: physical address to number of pages, for the images placed and those the
     * hypervisor took and kept (loaded modules), in address order. A diagnostic, for page accounting.
     */
    public synchronized Map<Long, Long> allocations() {
        return new TreeMap<>(allocations);
    }

    /** The lowest physical address the area may use. */
    public long floor() {
        return floor;
    }

    /** The end of the area: the end of DRAM. */
    public long end() {
        return dram.end();
    }

    synchronized El2Image take(long pa) {
        return placed.remove(pa);
    }

    private long allocate(long nr) {
        for (Map.Entry<Long, Long> e : freeRanges.entrySet()) {
            long pa = e.getKey();
            long have = e.getValue();
            if (have >= nr) {
                freeRanges.remove(pa);
                if (have > nr) {
                    freeRanges.put(pa + nr * MachineConfig.PAGE_SIZE, have - nr);
                }
                return pa;
            }
        }
        long size = nr * MachineConfig.PAGE_SIZE;
        if (nr <= 0 || size / MachineConfig.PAGE_SIZE != nr || low - floor < size) {
            throw new PkvmException(Errno.ENOMEM, "module area full: %d pages wanted, %d free below 0x%x"
                    .formatted(nr, (low - floor) / MachineConfig.PAGE_SIZE, low));
        }
        low -= size;
        return low;
    }
}
