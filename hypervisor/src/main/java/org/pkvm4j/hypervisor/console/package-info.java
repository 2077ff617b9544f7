/** The hypervisor console: the UART, or the serial driver a vendor module registered. */
package org.pkvm4j.hypervisor.console;
