/** kvstore at EL1: registers the handlers and offers /dev/kvstore. */
module acme.kvstore {
    requires org.pkvm4j.api;
    requires org.apache.logging.log4j;

    provides org.pkvm4j.api.el1.KernelModule with acme.kvstore.KvStore;
}
