/** hello_el1: an ordinary EL1 module, no EL2 part. */
module acme.hello {
    requires org.pkvm4j.api;

    provides org.pkvm4j.api.el1.KernelModule with acme.hello.Hello;
}
