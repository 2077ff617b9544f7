/** kvstore at EL2: the table and its four handlers. */
module acme.kvstore.hyp {
    requires org.pkvm4j.api;
}
