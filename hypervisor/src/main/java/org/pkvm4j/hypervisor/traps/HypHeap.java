package org.pkvm4j.hypervisor.traps;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.machine.MachineConfig;

/**
 * The EL2 heap: a first-fit allocator over a hyp VA window that grows only with pages the host
 * donates.
 *
 * <p>Kernel counterpart: {@code nvhe/alloc.c} ({@code hyp_alloc}, {@code hyp_free}, {@code
 * hyp_alloc_errno}, {@code hyp_alloc_missing_donations}) and its refill, {@code
 * __pkvm_hyp_alloc_mgt_refill}. Like the kernel, the heap owns a VA range and maps donated pages at
 * its end as it grows; an allocation that does not fit fails with {@code -ENOMEM} and records, per
 * CPU, how many pages are missing, so the host can donate them and retry. Unlike the kernel, chunk
 * headers live beside the heap (in this object), not inside it: every byte of the window is usable,
 * and a module that overruns its chunk corrupts its own or a neighbour's data but not the allocator.
 * The heap never gives pages back to the host (the kernel's reclaim is not modelled). Each
 * allocation records the module that made it: a module's allocations are freed when it goes.
 */
public final class HypHeap {
    /** The heap's VA window: 16 MiB, the bound on all EL2 allocations together. */
    public static final long MAX_PAGES = 4096;
    /** {@code MIN_ALLOC}: sizes round up to 8 bytes. */
    static final long MIN_ALLOC = 8;
    private static final long PAGE = MachineConfig.PAGE_SIZE;

    private final HypVaSpace va;
    private final int[] errno;
    private final int[] missing;
    /** Free extents: VA to size; adjacent extents are merged. */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    private final Map<Long, Chunk> used = new HashMap<>();
    private long base;
    private long mappedPages;

    private record Chunk(long size, Object owner) {
    }

    /** A heap mapped in {@code va}, for {@code nrCpus} CPUs' errno. */
    public HypHeap(HypVaSpace va, int nrCpus) {
        this.va = va;
        this.errno = new int[nrCpus];
        this.missing = new int[nrCpus];
    }

    /**
     * {@code hyp_alloc(size)} on {@code cpu} for {@code owner}: the VA of {@code size} zeroed bytes,
     * or 0 with this CPU's errno and missing donations set.
     */
    public long alloc(int cpu, long size, Object owner) {
        long at;
        synchronized (this) {
            if (size < 1) {
                return fail(cpu, Errno.EINVAL, 0);
            }
            long need = (size + MIN_ALLOC - 1) & -MIN_ALLOC;
            at = firstFit(need);
            if (at == 0) {
                long tail = tailFree();
                long pages = (need - tail + PAGE - 1) / PAGE;
                return mappedPages + pages > MAX_PAGES ? fail(cpu, Errno.E2BIG, 0) : fail(cpu, Errno.ENOMEM, pages);
            }
            long extent = free.remove(at);
            if (extent > need) {
                free.put(at + need, extent - need);
            }
            used.put(at, new Chunk(need, owner));
            errno[cpu] = 0;
            missing[cpu] = 0;
        }
        va.memset(at, (byte) 0, size);
        return at;
    }

    /**
     * {@code hyp_free(va)} for {@code owner}.
     *
     * @return 0, or -EINVAL if {@code at} is not an allocation {@code owner} holds
     */
    public synchronized int free(long at, Object owner) {
        Chunk c = used.get(at);
        if (c == null || c.owner() != owner) {
            return (int) Errno.EINVAL.negated();
        }
        used.remove(at);
        release(at, c.size());
        return 0;
    }

    /** Frees every allocation {@code owner} holds (its module goes); returns how many. */
    public synchronized int freeAll(Object owner) {
        int n = 0;
        for (Iterator<Map.Entry<Long, Chunk>> it = used.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Chunk> e = it.next();
            if (e.getValue().owner() == owner) {
                it.remove();
                release(e.getKey(), e.getValue().size());
                n++;
            }
        }
        return n;
    }

    /** {@code hyp_alloc_errno()} on {@code cpu}: 0 or the last failure's negative errno. */
    public synchronized int errno(int cpu) {
        return errno[cpu];
    }

    /** {@code hyp_alloc_missing_donations()} on {@code cpu}. */
    public synchronized int missingDonations(int cpu) {
        return missing[cpu];
    }

    /**
     * {@code __pkvm_hyp_alloc_mgt_refill}: the host donates page {@code pfn}, which is mapped at the
     * end of the heap.
     *
     * @return 0, -E2BIG if the window is full, or the donation's -errno (the page is not the host's)
     */
    public synchronized int refill(long pfn) {
        if (mappedPages == MAX_PAGES) {
            return (int) Errno.E2BIG.negated();
        }
        if (base == 0) {
            long at = va.allocModuleVa(MAX_PAGES);
            if (at < 0) {
                return (int) at;
            }
            base = at;
        }
        long at = base + mappedPages * PAGE;
        int ret = va.mapModulePage(pfn, at, Prot.RW, false); // donates host→hyp first
        if (ret != 0) {
            return ret;
        }
        mappedPages++;
        release(at, PAGE);
        return 0;
    }

    /** How many pages the host has donated to the heap. */
    public synchronized long pages() {
        return mappedPages;
    }

    /** How many bytes are allocated. */
    public synchronized long allocatedBytes() {
        long n = 0;
        for (Chunk c : used.values()) {
            n += c.size();
        }
        return n;
    }

    /** Puts back {@code cpu}'s errno and missing donations (an internal allocation that failed is not the module's). */
    synchronized void restore(int cpu, int savedErrno, int savedMissing) {
        errno[cpu] = savedErrno;
        missing[cpu] = savedMissing;
    }

    private long fail(int cpu, Errno e, long pages) {
        errno[cpu] = (int) e.negated();
        missing[cpu] = (int) pages;
        return 0;
    }

    private long firstFit(long need) {
        for (Map.Entry<Long, Long> e : free.entrySet()) {
            if (e.getValue() >= need) {
                return e.getKey();
            }
        }
        return 0;
    }

    /** The free bytes at the end of the mapped heap (an allocation that does not fit grows from there). */
    private long tailFree() {
        Map.Entry<Long, Long> last = free.lastEntry();
        return last != null && last.getKey() + last.getValue() == base + mappedPages * PAGE ? last.getValue() : 0;
    }

    /** Returns {@code [at, at + size)} to the free extents, merged with its neighbours. */
    private void release(long at, long size) {
        Map.Entry<Long, Long> below = free.floorEntry(at);
        if (below != null && below.getKey() + below.getValue() == at) {
            at = below.getKey();
            size += below.getValue();
            free.remove(at);
        }
        Long above = free.get(at + size);
        if (above != null) {
            free.remove(at + size);
            size += above;
        }
        free.put(at, size);
    }
}
