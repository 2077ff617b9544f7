/** page_guard at EL1: registers the handlers and offers /dev/page_guard. */
module acme.page_guard {
    requires org.pkvm4j.api;
    requires org.apache.logging.log4j;

    provides org.pkvm4j.api.el1.KernelModule with acme.page_guard.PageGuard;
}
