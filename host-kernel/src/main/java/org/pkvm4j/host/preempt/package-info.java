/**
 * Preemption points for EL2 code: a bytes-to-bytes transform of every class of an EL2 module that
 * makes its code stoppable, and the small flag class it polls.
 *
 * <p>Kernel counterpart: none; a real CPU takes an interrupt, a JVM thread cannot be stopped from
 * outside. The lockup watchdog (docs/adr/0010) sets the flag when the machine panics and every poll
 * then throws, so the stuck trap unwinds to the hypervisor and returns to the host.
 */
package org.pkvm4j.host.preempt;
