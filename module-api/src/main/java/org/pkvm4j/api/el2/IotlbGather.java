package org.pkvm4j.api.el2;

/**
 * The IOVA range an IOMMU driver unmapped and has not yet invalidated in the IOTLB: {@code [start,
 * end]} (inclusive) in pages of {@code pgsize} bytes. A value: {@link ModuleOps#iommuIotlbGatherAddPage}
 * returns the next one.
 *
 * <p>Kernel counterpart: {@code struct iommu_iotlb_gather} ({@code start}, {@code end}, {@code
 * pgsize}), as {@code iommu_iotlb_gather_init} leaves it: {@code start = ULONG_MAX}, {@code end = 0}.
 *
 * @param start the first IOVA gathered, unsigned ({@code -1}, ULONG_MAX, when empty)
 * @param end the last IOVA gathered, inclusive ({@code 0} when empty)
 * @param pgsize the page size of every page gathered ({@code 0} when empty)
 * @since 0.1
 */
public record IotlbGather(long start, long end, long pgsize) {
    /**
     * The empty gather ({@code iommu_iotlb_gather_init}).
     *
     * @return a gather holding nothing
     */
    public static IotlbGather empty() {
        return new IotlbGather(-1L, 0, 0);
    }

    /**
     * Whether nothing was gathered.
     *
     * @return {@code true} for a gather holding no page
     */
    public boolean isEmpty() {
        return end == 0;
    }
}
