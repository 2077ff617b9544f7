package org.pkvm4j.api;

import java.util.Objects;

/**
 * A pKVM call that failed, with the kernel's errno as data.
 *
 * <p>Registers carry a failure as an SMCCC status in x0 or a negative errno in x1; the Java API
 * above them throws this exception instead, so a failure cannot be dropped silently. It is converted
 * in exactly two places: where EL2 writes registers and where the EL1 trap gateway reads them.
 *
 * <p>An EL2 init that throws this exception fails its module load with {@link #errno()}, as a
 * non-zero return of the C init function would. Any other throwable escaping EL2 code is a hyp
 * panic.
 *
 * @since 0.1
 */
public class PkvmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The kernel's error, never null. */
    private final Errno errno;
    /** The SMCCC status in x0 if the hypervisor refused the call itself, else {@code SMCCC_RET_SUCCESS}. */
    private final long smcccStatus;

    /**
     * A failure reported with an errno.
     *
     * @param errno the kernel's error, never null
     * @param message what failed, naming the module, symbol or call
     */
    public PkvmException(Errno errno, String message) {
        this(errno, Smccc.RET_SUCCESS, message, null);
    }

    /**
     * A failure reported with an errno, caused by {@code cause}.
     *
     * @param errno the kernel's error, never null
     * @param message what failed, naming the module, symbol or call
     * @param cause the failure underneath
     */
    public PkvmException(Errno errno, String message, Throwable cause) {
        this(errno, Smccc.RET_SUCCESS, message, cause);
    }

    private PkvmException(Errno errno, long smcccStatus, String message, Throwable cause) {
        super(Objects.requireNonNull(errno, "errno").name() + ": " + message, cause);
        this.errno = errno;
        this.smcccStatus = smcccStatus;
    }

    /**
     * A hypercall the hypervisor refused in x0, before any handler ran.
     *
     * <p>{@code SMCCC_RET_NOT_SUPPORTED} reads as {@link Errno#EOPNOTSUPP} (as the 2026 rework of
     * {@code kvm_call_hyp_nvhe} returns it); {@code INVALID_PARAMETER} as {@link Errno#EINVAL}.
     *
     * @param x0 the SMCCC status the hypervisor returned
     * @param message what failed
     * @return the exception, with its errno and status
     */
    public static PkvmException ofSmcccStatus(long x0, String message) {
        Errno errno = x0 == Smccc.RET_INVALID_PARAMETER ? Errno.EINVAL : Errno.EOPNOTSUPP;
        return new PkvmException(errno, x0, message + " (" + Smccc.statusName(x0) + ")", null);
    }

    /**
     * The kernel's error; never null.
     *
     * @return the errno
     */
    public Errno errno() {
        return errno;
    }

    /**
     * The SMCCC status in x0 when the hypervisor refused the call itself, or {@link
     * Smccc#RET_SUCCESS} when the call ran and reported an errno.
     *
     * @return the SMCCC status, or {@code SMCCC_RET_SUCCESS}
     */
    public long smcccStatus() {
        return smcccStatus;
    }
}
