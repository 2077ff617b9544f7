/** guest_trng at EL2: the TRNG back end protected guests' SMCCC TRNG calls reach. */
module acme.guest_trng.hyp {
    requires org.pkvm4j.api;
}
