/** pl011_console at EL1: loads the EL2 console driver and offers {@code /dev/pl011_console}. */
module acme.pl011_console {
    requires org.pkvm4j.api;

    provides org.pkvm4j.api.el1.KernelModule with acme.pl011_console.Pl011Console;
}
