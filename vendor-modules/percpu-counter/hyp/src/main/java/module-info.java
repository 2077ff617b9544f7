/** percpu_counter at EL2, written against the android14-5.15 handler ABI. */
module acme.percpu_counter.hyp {
    requires org.pkvm4j.api;
}
