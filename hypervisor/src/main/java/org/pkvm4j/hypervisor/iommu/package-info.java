/** The hypervisor's IOMMU layer: page pools for IOMMU drivers, the host idmap domain, IOTLB gathers. */
package org.pkvm4j.hypervisor.iommu;
