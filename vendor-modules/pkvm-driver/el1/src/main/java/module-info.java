/** pkvm_driver at EL1: {@code el1.c} of the Android page's example. */
module acme.pkvm_driver {
    requires org.pkvm4j.api;

    provides org.pkvm4j.api.el1.KernelModule with acme.pkvm_driver.PkvmDriver;
}
