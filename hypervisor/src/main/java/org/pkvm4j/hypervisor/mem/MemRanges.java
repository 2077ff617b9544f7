package org.pkvm4j.hypervisor.mem;

import org.pkvm4j.api.Errno;
import org.pkvm4j.machine.Dram;

/**
 * The range checks every transition starts with.
 *
 * <p>Kernel counterpart: {@code pfn_range_is_valid}, {@code find_mem_range}, {@code
 * is_in_mem_range} and {@code check_range_allowed_memory} in {@code nvhe/mem_protect.c}. The
 * machine has one memblock region (DRAM), so the address space splits into three {@code
 * kvm_mem_range}s: the MMIO window below DRAM, DRAM, and everything above it. Arithmetic is
 * unsigned, as on {@code u64} in C.
 */
final class MemRanges {
    private final long memStart;
    private final long memEnd;
    private final long pfnLimit;

    MemRanges(Dram dram) {
        this.memStart = dram.base();
        this.memEnd = dram.end();
        this.pfnLimit = 1L << (Dram.PA_BITS - Dram.PAGE_SHIFT);
    }

    /**
     * {@code pfn_range_is_valid}: {@code [pfn, pfn + nr)} lies inside the host PA range, computed so
     * that it cannot overflow.
     */
    boolean pfnRangeIsValid(long pfn, long nrPages) {
        return Long.compareUnsigned(pfn, pfnLimit) < 0 && Long.compareUnsigned(pfnLimit - pfn, nrPages) >= 0;
    }

    /**
     * {@code check_range_allowed_memory(start, end)}: 0 if {@code [start, end)} is DRAM; -EINVAL if it
     * straddles DRAM and non-memory (its last byte is not in the range of its first); -EPERM if it is
     * not memory at all.
     */
    int checkRangeAllowedMemory(long start, long end) {
        long rangeStart;
        long rangeEnd;
        boolean memory;
        if (Long.compareUnsigned(start, memStart) < 0) {
            rangeStart = 0;
            rangeEnd = memStart;
            memory = false;
        } else if (Long.compareUnsigned(start, memEnd) >= 0) {
            rangeStart = memEnd;
            rangeEnd = -1L; // ULONG_MAX
            memory = false;
        } else {
            rangeStart = memStart;
            rangeEnd = memEnd;
            memory = true;
        }
        long last = end - 1;
        if (!(Long.compareUnsigned(rangeStart, last) <= 0 && Long.compareUnsigned(last, rangeEnd) < 0)) {
            return -Errno.EINVAL.code();
        }
        return memory ? 0 : -Errno.EPERM.code();
    }

    /** Whether the page at {@code pfn} is DRAM, so it has a {@code struct hyp_page}. */
    boolean isMemoryPfn(long pfn) {
        return Long.compareUnsigned(pfn, memStart >>> Dram.PAGE_SHIFT) >= 0
                && Long.compareUnsigned(pfn, memEnd >>> Dram.PAGE_SHIFT) < 0;
    }
}
