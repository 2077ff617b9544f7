/** Packing and signing initramfs images ({@code gen_initramfs.sh}, {@code sign-file}); the reader is the kernel's. */
package org.pkvm4j.tools.initramfs;
