/** hyp_audit at EL1: loads the EL2 audit, traps ACTLR_EL1 on every CPU and offers /dev/hyp_audit. */
module acme.hyp_audit {
    requires org.pkvm4j.api;
    requires org.apache.logging.log4j;

    provides org.pkvm4j.api.el1.KernelModule with acme.hyp_audit.HypAudit;
}
