package org.pkvm4j.machine;

/**
 * Thrown by {@link Cpu#hvc()} once the hypervisor has panicked: the machine takes no more traps.
 *
 * <p>Kernel counterpart: the host's view of a hyp panic: the machine is dead, nothing returns.
 */
public final class HypPanicException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient HypPanic panic;

    /** A halted machine's answer to a trap. */
    public HypPanicException(HypPanic panic) {
        super("HYP panic on CPU" + panic.cpu() + ": " + panic.reason());
        this.panic = panic;
    }

    /** The recorded panic. */
    public HypPanic panic() {
        return panic;
    }
}
