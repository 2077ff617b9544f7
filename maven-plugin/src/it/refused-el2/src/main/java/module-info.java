/** hello_pkvm at EL1 ({@code el1.c}): loads its EL2 part and registers its handler. */
module example.hello_pkvm {
    requires org.pkvm4j.api;

    provides org.pkvm4j.api.el1.KernelModule with example.hello_pkvm.HelloPkvm;
}
