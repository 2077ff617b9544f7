/** sysreg_trap at EL2: the SCTLR_EL1 write filter, its trap handler and three handlers. */
module acme.sysreg_trap.hyp {
    requires org.pkvm4j.api;
}
