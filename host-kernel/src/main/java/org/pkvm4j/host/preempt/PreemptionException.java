package org.pkvm4j.host.preempt;

/**
 * EL2 code that cannot be made stoppable: a handler covering its own handler code, or a class the
 * transform cannot read or rewrite. The loader refuses the module with {@code ENOEXEC}.
 */
public final class PreemptionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A refusal with its message. */
    public PreemptionException(String message) {
        super(message);
    }

    /** A refusal with its message and cause. */
    public PreemptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
