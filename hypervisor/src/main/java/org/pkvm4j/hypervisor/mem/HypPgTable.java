package org.pkvm4j.hypervisor.mem;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;

/**
 * EL2's stage-1 page table for the hyp private VA range: one leaf per mapped page, with its physical
 * page, its permissions and whether it is device memory.
 *
 * <p>Kernel counterpart: {@code pkvm_pgtable} ({@code kvm_pgtable_hyp_map}/{@code _unmap} in {@code
 * arch/arm64/kvm/hyp/pgtable.c}) for the part above the linear map. The linear map is not stored
 * here: it is the identity, and its permissions follow the page's hyp state (see {@link
 * MemProtect#isHypMapped}). Reads are lock-free, as the MMU walks the table; writes happen under the
 * callers' {@code pkvm_pgd_lock}.
 *
 * <p>A leaf is one {@code long}: the physical page address, {@code kvm_pgtable_prot} bits 0..2 and
 * {@link #DEVICE} (bit 3, {@code KVM_PGTABLE_PROT_DEVICE}); 0 is no mapping. Like the hardware's,
 * the table is a radix tree over the page number (three levels of 11, 12 and 12 bits under the
 * private range's 2^35 pages), its tables allocated as mappings need them: a walk is three array
 * reads and allocates nothing, so EL2 code may touch a private mapping on every trap (a console's
 * {@code putc}).
 */
final class HypPgTable {
    /** Bit 3 of a leaf: device memory (MMIO), {@code PAGE_HYP_DEVICE}. */
    static final long DEVICE = 1L << 3;
    private static final long PAGE_MASK = -(1L << Dram.PAGE_SHIFT);
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int EEXIST = -Errno.EEXIST.code();

    private static final long FIRST_VPN = HypVaSpace.PRIVATE_VA_BASE >>> Dram.PAGE_SHIFT;
    private static final long NR_VPNS = (HypVaSpace.PRIVATE_VA_END - HypVaSpace.PRIVATE_VA_BASE) >>> Dram.PAGE_SHIFT;
    private static final int LEAF_BITS = 12;
    private static final int MID_BITS = 12;
    private static final int TOP_BITS = Long.numberOfTrailingZeros(NR_VPNS) - LEAF_BITS - MID_BITS;

    private final AtomicReferenceArray<AtomicReferenceArray<AtomicLongArray>> top =
            new AtomicReferenceArray<>(1 << TOP_BITS);

    /**
     * {@code hyp_set_prot_attr}: the hyp stage-1 refuses a mapping without R, a writable executable
     * one (W^X) and executable device memory.
     *
     * @return 0 or -EINVAL
     */
    static int checkProt(int prot, boolean device) {
        if ((prot & ~Prot.RWX) != 0 || (prot & Prot.R) == 0) {
            return EINVAL;
        }
        if ((prot & Prot.X) != 0 && ((prot & Prot.W) != 0 || device)) {
            return EINVAL;
        }
        return 0;
    }

    /**
     * {@code kvm_pgtable_hyp_map}: maps {@code nrPages} pages from page-aligned {@code va} to {@code
     * pa}. All or nothing: any page already mapped refuses the whole call.
     *
     * @return 0; -EINVAL for a bad {@code prot}; -EEXIST if a page is already mapped
     */
    int map(long va, long pa, long nrPages, int prot, boolean device) {
        int ret = checkProt(prot, device);
        if (ret != 0) {
            return ret;
        }
        long first = (va >>> Dram.PAGE_SHIFT) - FIRST_VPN;
        if (first < 0 || nrPages < 0 || nrPages > NR_VPNS - first) {
            return EINVAL;
        }
        for (long i = 0; i < nrPages; i++) {
            if (read(first + i) != 0) {
                return EEXIST;
            }
        }
        for (long i = 0; i < nrPages; i++) {
            table(first + i, true).set(leafIndex(first + i),
                    ((pa + (i << Dram.PAGE_SHIFT)) & PAGE_MASK) | prot | (device ? DEVICE : 0));
        }
        return 0;
    }

    /** {@code kvm_pgtable_hyp_unmap} of one page: the leaf it had, or 0. */
    long unmap(long va) {
        long vpn = (va >>> Dram.PAGE_SHIFT) - FIRST_VPN;
        AtomicLongArray leaves = vpn < 0 || vpn >= NR_VPNS ? null : table(vpn, false);
        return leaves == null ? 0 : leaves.getAndSet(leafIndex(vpn), 0);
    }

    /** The leaf mapping {@code va}, or 0 (a translation fault). */
    long leaf(long va) {
        long vpn = (va >>> Dram.PAGE_SHIFT) - FIRST_VPN;
        return vpn < 0 || vpn >= NR_VPNS ? 0 : read(vpn);
    }

    /** The leaf of private page {@code vpn} (0-based in the range): the walk, lock-free. */
    private long read(long vpn) {
        AtomicLongArray leaves = table(vpn, false);
        return leaves == null ? 0 : leaves.get(leafIndex(vpn));
    }

    /**
     * The last-level table holding private page {@code vpn}; with {@code create}, made (and the
     * middle table above it) if missing, which only writers do, under the callers' lock.
     */
    private AtomicLongArray table(long vpn, boolean create) {
        int t = (int) (vpn >>> (LEAF_BITS + MID_BITS));
        AtomicReferenceArray<AtomicLongArray> mid = top.get(t);
        if (mid == null) {
            if (!create) {
                return null;
            }
            mid = new AtomicReferenceArray<>(1 << MID_BITS);
            top.set(t, mid);
        }
        int m = (int) (vpn >>> LEAF_BITS) & ((1 << MID_BITS) - 1);
        AtomicLongArray leaves = mid.get(m);
        if (leaves == null && create) {
            leaves = new AtomicLongArray(1 << LEAF_BITS);
            mid.set(m, leaves);
        }
        return leaves;
    }

    private static int leafIndex(long vpn) {
        return (int) vpn & ((1 << LEAF_BITS) - 1);
    }

    /** The physical page address of a leaf. */
    static long pa(long leaf) {
        return leaf & PAGE_MASK;
    }

    /** The {@code kvm_pgtable_prot} bits of a leaf. */
    static int prot(long leaf) {
        return (int) (leaf & Prot.RWX);
    }

}
