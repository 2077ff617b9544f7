/** hyp_audit at EL2: the android14-5.15 SMC, PSCI, trap and panic callbacks that audit the host. */
module acme.hyp_audit.hyp {
    requires org.pkvm4j.api;
}
