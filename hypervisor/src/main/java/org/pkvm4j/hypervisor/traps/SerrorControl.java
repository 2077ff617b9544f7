package org.pkvm4j.hypervisor.traps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.SerrorMask;
import org.pkvm4j.api.el2.SerrorUnmask;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;

/**
 * Whether SError is unmasked at EL2 during a host trap: the module pair registered with {@code
 * register_unmask_serror}, asked on entry and told on exit.
 *
 * <p>Kernel counterpart: {@code __pkvm_register_unmask_serror} and the calls around the host trap in
 * {@code hyp-main.c}. At EL2 SError is masked (PSTATE.A) unless the module's {@code unmask()}
 * answers true for that trap; a pending SError is then taken at EL2, which in nVHE is a hyp panic
 * ({@code el2_error} → {@code hyp_panic}). Masked, it stays pending and the host takes it when the
 * trap returns. One slot, compare-and-swap; the trap path reads it once.
 */
public final class SerrorControl {
    /** The registered pair, already wrapped to run contained on the trap's CPU. */
    public record Pair(SerrorUnmask unmask, SerrorMask mask) {
    }

    private static final VarHandle PAIR;

    static {
        try {
            PAIR = MethodHandles.lookup().findVarHandle(SerrorControl.class, "pair", Pair.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Read on every host trap: a field, not an AtomicReference behind it; changed by compare-and-set (PAIR).
    private volatile Pair pair;
    private final HypPlatform platform;

    /** SError control of {@code platform}'s CPUs. */
    public SerrorControl(HypPlatform platform) {
        this.platform = platform;
    }

    /**
     * {@code register_unmask_serror(unmask, mask)}.
     *
     * @throws PkvmException {@code EBUSY} if a pair is registered already; {@code EINVAL} if either is null
     */
    public void register(Pair p) {
        if (p == null || p.unmask() == null || p.mask() == null) {
            throw new PkvmException(Errno.EINVAL, "register_unmask_serror: unmask and mask are both needed");
        }
        if (!PAIR.compareAndSet(this, null, p)) {
            throw new PkvmException(Errno.EBUSY, "register_unmask_serror: a pair is already registered");
        }
    }

    /** Empties the slot if it still holds {@code p}. */
    public boolean unregister(Pair p) {
        return p != null && PAIR.compareAndSet(this, p, null);
    }

    /**
     * On trap entry: asks {@code unmask()}; if it answers true, clears PSTATE.A at EL2.
     *
     * @return the pair that unmasked (pass it to {@link #exit}), or null if SError stays masked
     * @throws SerrorTaken if a pending SError was taken at EL2 as PSTATE.A cleared
     */
    public Pair enter(Cpu cpu) {
        Pair p = pair;
        if (p == null || !p.unmask().unmask()) {
            return null;
        }
        if (platform.unmaskSerror(cpu)) {
            platform.maskSerror(cpu);
            throw new SerrorTaken();
        }
        return p;
    }

    /**
     * On trap exit, for a trap {@link #enter} unmasked: a pending SError is taken first, then
     * {@code mask()} runs and PSTATE.A is set again.
     *
     * @throws SerrorTaken if an SError pending meanwhile was taken at EL2
     */
    public void exit(Cpu cpu, Pair p) {
        if (platform.maskSerror(cpu)) {
            throw new SerrorTaken();
        }
        p.mask().mask();
    }

    /** An SError taken at EL2: the caller panics. */
    public static final class SerrorTaken extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SerrorTaken() {
            super("SError taken at EL2", null, false, false);
        }
    }
}
