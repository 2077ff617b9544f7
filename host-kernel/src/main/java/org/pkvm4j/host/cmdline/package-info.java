/**
 * The kernel command line: {@code kvm-arm.mode=}, {@code kvm-arm.protected_modules=}, {@code
 * nr_cpus=}, {@code mem=} and module parameters, parsed before anything boots.
 */
package org.pkvm4j.host.cmdline;
