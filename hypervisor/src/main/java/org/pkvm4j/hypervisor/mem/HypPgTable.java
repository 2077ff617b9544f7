package org.pkvm4j.hypervisor.mem;

import java.util.concurrent.ConcurrentHashMap;
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
 * {@link #DEVICE} (bit 3, {@code KVM_PGTABLE_PROT_DEVICE}); 0 is no mapping.
 */
final class HypPgTable {
    /** Bit 3 of a leaf: device memory (MMIO), {@code PAGE_HYP_DEVICE}. */
    static final long DEVICE = 1L << 3;
    private static final long PAGE_MASK = -(1L << Dram.PAGE_SHIFT);
    private static final int EINVAL = -Errno.EINVAL.code();
    private static final int EEXIST = -Errno.EEXIST.code();

    private final ConcurrentHashMap<Long, Long> leaves = new ConcurrentHashMap<>();

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
        for (long i = 0; i < nrPages; i++) {
            if (leaves.containsKey(vpn(va, i))) {
                return EEXIST;
            }
        }
        for (long i = 0; i < nrPages; i++) {
            leaves.put(vpn(va, i), ((pa + (i << Dram.PAGE_SHIFT)) & PAGE_MASK) | prot | (device ? DEVICE : 0));
        }
        return 0;
    }

    /** {@code kvm_pgtable_hyp_unmap} of one page: the leaf it had, or 0. */
    long unmap(long va) {
        Long old = leaves.remove(va >>> Dram.PAGE_SHIFT);
        return old == null ? 0 : old;
    }

    /** The leaf mapping {@code va}, or 0 (a translation fault). */
    long leaf(long va) {
        Long leaf = leaves.get(va >>> Dram.PAGE_SHIFT);
        return leaf == null ? 0 : leaf;
    }

    /** The physical page address of a leaf. */
    static long pa(long leaf) {
        return leaf & PAGE_MASK;
    }

    /** The {@code kvm_pgtable_prot} bits of a leaf. */
    static int prot(long leaf) {
        return (int) (leaf & Prot.RWX);
    }

    private static long vpn(long va, long i) {
        return (va >>> Dram.PAGE_SHIFT) + i;
    }
}
