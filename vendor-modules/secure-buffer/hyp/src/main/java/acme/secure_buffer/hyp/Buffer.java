package acme.secure_buffer.hyp;

/** One secure buffer: host pages donated to EL2 for good, until released. */
record Buffer(long pfn, long nrPages) {
}
