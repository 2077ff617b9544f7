/**
 * The trap gateway: the one door from EL1 to EL2. Every host request to the hypervisor, a vendor
 * module's call or a kernel service, is an {@code HVC} with registers, issued here.
 */
package org.pkvm4j.host.hvc;
