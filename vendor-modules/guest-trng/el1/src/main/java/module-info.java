/** guest_trng at EL1: loads the EL2 TRNG back end and offers /dev/guest_trng. */
module acme.guest_trng {
    requires org.pkvm4j.api;

    provides org.pkvm4j.api.el1.KernelModule with acme.guest_trng.GuestTrng;
}
