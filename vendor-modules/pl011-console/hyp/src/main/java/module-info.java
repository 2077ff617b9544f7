/** pl011_console at EL2: {@code hyp/pl011-hyp.c} of Android's {@code pkvm-pl011} module. */
module acme.pl011_console.hyp {
    requires org.pkvm4j.api;
}
