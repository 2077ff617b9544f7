/** secure_buffer at EL2: the buffers donated by the host, SHA-256 and HMAC, and the handlers. */
module acme.secure_buffer.hyp {
    requires org.pkvm4j.api;
}
