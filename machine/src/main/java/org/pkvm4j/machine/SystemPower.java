package org.pkvm4j.machine;

/**
 * The power state of the whole machine, as PSCI's SYSTEM_OFF and SYSTEM_RESET leave it.
 *
 * <p>The model does not reboot: after either call every CPU is off and takes no trap; the state
 * says which of the two ended the run.
 */
public enum SystemPower {
    /** Powered on. */
    RUNNING,
    /** {@code PSCI SYSTEM_OFF} was called. */
    OFF,
    /** {@code PSCI SYSTEM_RESET} or {@code SYSTEM_RESET2} was called. */
    RESET
}
