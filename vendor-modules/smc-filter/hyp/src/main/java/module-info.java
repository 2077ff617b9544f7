/** smc_filter at EL2: the allow-list and the host SMC handler that enforces it. */
module acme.smc_filter.hyp {
    requires org.pkvm4j.api;
}
