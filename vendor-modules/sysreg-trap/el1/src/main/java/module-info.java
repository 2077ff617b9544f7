/** sysreg_trap at EL1: turns the trap on on every CPU and offers /dev/sysreg_trap. */
module acme.sysreg_trap {
    requires org.pkvm4j.api;
    requires org.apache.logging.log4j;

    provides org.pkvm4j.api.el1.KernelModule with acme.sysreg_trap.SysregTrap;
}
