/**
 * Measured boot: the SHA-256 of the initramfs and of every module file the kernel read, in order,
 * split at the freeze (deprivilege), and its export as a JSON attestation log.
 */
package org.pkvm4j.host.attest;
