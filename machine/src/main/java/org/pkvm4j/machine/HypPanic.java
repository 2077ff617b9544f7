package org.pkvm4j.machine;

/**
 * What the machine recorded when the hypervisor panicked: the report the host shows.
 *
 * <p>Kernel counterpart: {@code hyp_panic} and the "HYP panic" report the host prints.
 *
 * @param cpu the CPU that panicked
 * @param reason one line: what EL2 was doing and what went wrong
 * @param detail the stack trace of the throwable that escaped EL2 code, or empty
 * @param uptimeNanos when, on the machine's monotonic clock
 */
public record HypPanic(int cpu, String reason, String detail, long uptimeNanos) {
}
