/** hello_pkvm at EL2: it may require nothing but the module API (hyp/Makefile.module's rule). */
module example.hello_pkvm.hyp {
    requires org.pkvm4j.api;
}
