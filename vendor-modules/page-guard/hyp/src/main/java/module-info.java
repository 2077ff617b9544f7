/** page_guard at EL2: the guard table, its permission-fault handler and three handlers. */
module acme.page_guard.hyp {
    requires org.pkvm4j.api;
}
