/** percpu_counter at EL1: registers the handlers and offers /dev/percpu_counter. */
module acme.percpu_counter {
    requires org.pkvm4j.api;

    provides org.pkvm4j.api.el1.KernelModule with acme.percpu_counter.PercpuCounter;
}
