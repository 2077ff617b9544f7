/** dma_guard at EL2: the SMMU's driver, its stream table and page tables, and the device reset. */
module acme.dma_guard.hyp {
    requires org.pkvm4j.api;
}
