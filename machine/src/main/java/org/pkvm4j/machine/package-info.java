/**
 * The simulated hardware: {@link org.pkvm4j.machine.Machine}, its {@link org.pkvm4j.machine.Cpu}s
 * and their {@code HVC}, the {@link org.pkvm4j.machine.Uart}, the memory EL2 module images are placed
 * in, and the two interfaces through which a hypervisor plugs into it
 * ({@link org.pkvm4j.machine.HypervisorImage}, {@link org.pkvm4j.machine.El2Vector}).
 *
 * <p>Used by both the hypervisor and the host kernel; owned by neither. Privilege is a reference:
 * {@link org.pkvm4j.machine.HypPlatform} is handed out once.
 */
package org.pkvm4j.machine;
