package org.pkvm4j.api.el2;

import org.pkvm4j.api.VendorImplemented;

/**
 * An IOMMU driver's IOTLB invalidation: it makes the IOMMU forget the translations of a gathered
 * range (an SMMU {@code CMD_TLBI_*} command and its sync).
 *
 * <p>Kernel counterpart: {@code kvm_iommu_ops->iotlb_sync(domain, gather)}, which {@code
 * kvm_iommu_iotlb_gather_add_page} calls when a page cannot join the pending gather. pkvm4j passes
 * the callback with each call instead of a registered ops table; it runs at once, inside the calling
 * module's trap.
 *
 * @since 0.1
 */
@VendorImplemented
@FunctionalInterface
public interface IotlbSync {
    /**
     * Invalidates every translation of {@code gather}'s range.
     *
     * @param gather the range to invalidate, never empty
     */
    void sync(IotlbGather gather);
}
