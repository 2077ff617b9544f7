/**
 * The initramfs and the vendor module file format: one file per module (the {@code .ko}
 * analogue), an EL1 modular jar carrying its EL2 modular jar and a {@code modinfo} record.
 */
package org.pkvm4j.host.initramfs;
