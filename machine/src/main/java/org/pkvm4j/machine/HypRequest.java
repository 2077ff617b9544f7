package org.pkvm4j.machine;

/**
 * A request EL2 leaves for the host in a CPU's {@code host_hyp_reqs} slot, packed in one {@code long}
 * so that the host reads it after every trap without allocating: the destination in the high 32
 * bits, the number of pages in the low 32; 0 is no request.
 *
 * <p>Kernel counterpart: {@code struct kvm_hyp_req} of type {@code KVM_HYP_REQ_TYPE_MEM} ({@code
 * asm/kvm_host.h}), its {@code mem.dest} and {@code mem.nr_pages}; the host serves it in {@code
 * pkvm_handle_hyp_req} / {@code kvm_iommu_topup_memcache}. pkvm4j serves page-sized requests only, so
 * {@code mem.sz_alloc} is always one page and not kept.
 */
public final class HypRequest {
    /** {@code REQ_MEM_DEST_HYP_ALLOC}: pages for the EL2 heap. */
    public static final int DEST_HYP_ALLOC = 1;
    /** {@code REQ_MEM_DEST_HYP_IOMMU}: pages for the IOMMU pool. */
    public static final int DEST_HYP_IOMMU = 3;

    private HypRequest() {
    }

    /**
     * The request word for {@code nrPages} pages to {@code dest}.
     *
     * @throws IllegalArgumentException for a destination other than the two above or fewer than one page
     */
    public static long of(int dest, int nrPages) {
        if ((dest != DEST_HYP_ALLOC && dest != DEST_HYP_IOMMU) || nrPages < 1) {
            throw new IllegalArgumentException("hyp request: dest %d, %d pages".formatted(dest, nrPages));
        }
        return (long) dest << 32 | nrPages;
    }

    /** The destination of request word {@code request} (0 for none). */
    public static int dest(long request) {
        return (int) (request >>> 32);
    }

    /** The number of pages request word {@code request} asks for. */
    public static int nrPages(long request) {
        return (int) request;
    }
}
