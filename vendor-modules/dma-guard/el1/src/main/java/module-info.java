/** dma_guard at EL1: registers the handlers and offers /dev/dma_guard. */
module acme.dma_guard {
    requires org.pkvm4j.api;
    requires org.apache.logging.log4j;

    provides org.pkvm4j.api.el1.KernelModule with acme.dma_guard.DmaGuard;
}
