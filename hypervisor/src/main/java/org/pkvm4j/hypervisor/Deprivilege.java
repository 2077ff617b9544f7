package org.pkvm4j.hypervisor;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.pkvm4j.api.Errno;

/**
 * Per-CPU deprivilege: {@code __pkvm_prot_finalize} and the state it leaves.
 *
 * <p>Kernel counterpart: {@code __pkvm_prot_finalize} in {@code nvhe/mem_protect.c} (sets {@code
 * HCR_EL2.VM} and installs the host stage-2 on the calling CPU; {@code -EPERM} the second time) and
 * the {@code kvm_protected_mode_initialized} static key, which the host sets before finalizing and
 * which closes the privileged hypercall band.
 */
public final class Deprivilege {
    private final AtomicIntegerArray finalized;
    private volatile boolean privilegedBandClosed;
    private final Runnable closeRegistration;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    /** State for {@code nrCpus} CPUs, none deprivileged. */
    public Deprivilege(int nrCpus) {
        this(nrCpus, () -> { });
    }

    /**
     * As the other constructor; {@code closeRegistration} runs once, at the first finalize ({@code
     * __pkvm_close_module_registration}).
     */
    public Deprivilege(int nrCpus, Runnable closeRegistration) {
        this.finalized = new AtomicIntegerArray(nrCpus);
        this.closeRegistration = closeRegistration;
    }

    /** {@code __pkvm_prot_finalize} on CPU {@code cpu}: 0, or -EPERM if this CPU was done before. */
    public long protFinalize(int cpu) {
        // The band closes with the first CPU: the host sets the static key before any finalize.
        privilegedBandClosed = true;
        if (closed.compareAndSet(false, true)) {
            closeRegistration.run();
        }
        boolean first = finalized.compareAndSet(cpu, 0, 1);
        return first ? 0 : Errno.EPERM.negated();
    }

    /** Whether the module-loading calls are closed (the host set the static key). */
    public boolean isPrivilegedBandClosed() {
        return privilegedBandClosed;
    }

    /** Whether {@code cpu} has its host stage-2 installed. */
    public boolean isFinalized(int cpu) {
        return finalized.get(cpu) != 0;
    }
}
