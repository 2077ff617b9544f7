package org.pkvm4j.hypervisor.iommu;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * A pool of hyp-owned pages IOMMU drivers take their tables from, in naturally aligned blocks of
 * {@code 2^order} pages.
 *
 * <p>Kernel counterpart: {@code struct hyp_pool} behind {@code iommu_host_pool} and {@code
 * iommu_atomic_pool} ({@code nvhe/iommu/iommu.c}), a buddy allocator; this one finds a free aligned
 * run by scanning, which is enough for pools of a few hundred pages. Guarded by the caller's lock.
 */
final class IommuPool {
    private final TreeSet<Long> free = new TreeSet<>();
    private final Map<Long, Integer> allocated = new HashMap<>();
    private long requested;

    /** Adds hyp-owned page {@code pfn}. */
    void add(long pfn) {
        free.add(pfn);
    }

    /** The first pfn of {@code 2^order} free, aligned, contiguous pages, taken; -1 if there is none. */
    long alloc(int order) {
        long n = 1L << order;
        for (long pfn : free) {
            if ((pfn & (n - 1)) != 0) {
                continue;
            }
            boolean all = true;
            for (long i = 1; i < n && all; i++) {
                all = free.contains(pfn + i);
            }
            if (all) {
                for (long i = 0; i < n; i++) {
                    free.remove(pfn + i);
                }
                allocated.put(pfn, order);
                return pfn;
            }
        }
        return -1;
    }

    /** Gives back a block {@link #alloc} returned with this {@code order}; false if it did not. */
    boolean free(long pfn, int order) {
        Integer was = allocated.get(pfn);
        if (was == null || order > was) {
            return false;
        }
        allocated.remove(pfn);
        for (long i = 0; i < 1L << was; i++) {
            free.add(pfn + i);
        }
        return true;
    }

    /** Records that {@code nrPages} more pages were wanted ({@code struct kvm_hyp_req}). */
    void request(long nrPages) {
        requested += nrPages;
    }

    /** The pages requested since the last call, and clears the request. */
    long takeRequested() {
        long r = requested;
        requested = 0;
        return r;
    }

    /** Free pages. */
    int nrFree() {
        return free.size();
    }
}
