/** secure_buffer at EL1: registers the handlers and offers /dev/secure_buffer. */
module acme.secure_buffer {
    requires org.pkvm4j.api;
    requires org.apache.logging.log4j;

    provides org.pkvm4j.api.el1.KernelModule with acme.secure_buffer.SecureBuffer;
}
