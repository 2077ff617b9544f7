/**
 * Values both exception levels share: the register files, the SMCCC constants and the errno values
 * of the host/hypervisor wire, and the one exception type that carries an errno in Java.
 *
 * <p>Everything here is also visible to EL2 vendor code. Nothing here has state beyond the register
 * values a caller owns.
 */
package org.pkvm4j.api;
