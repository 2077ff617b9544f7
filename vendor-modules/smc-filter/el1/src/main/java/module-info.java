/** smc_filter at EL1: loads the EL2 filter with its permissive parameter and offers /dev/smc_filter. */
module acme.smc_filter {
    requires org.pkvm4j.api;
    requires org.apache.logging.log4j;

    provides org.pkvm4j.api.el1.KernelModule with acme.smc_filter.SmcFilter;
}
