/** pkvm_driver at EL2: {@code hyp/el2.c} of the Android page's example. */
module acme.pkvm_driver.hyp {
    requires org.pkvm4j.api;
}
