package org.pkvm4j.hypervisor.traps;

import java.util.concurrent.atomic.AtomicReference;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.DefaultTrapHandler;

/**
 * The one module handler of host traps pKVM does not handle itself.
 *
 * <p>Kernel counterpart: {@code default_host_trap_handler} and {@code
 * __pkvm_register_default_trap_handler} in {@code nvhe/modules.c}/{@code hyp-main.c}: one slot, set
 * with a compare-and-swap; the trap path reads it without a lock. pkvm4j empties it when its module
 * goes ({@link #unregister}).
 */
public final class DefaultTrapHandlers {
    private final AtomicReference<DefaultTrapHandler> handler = new AtomicReference<>();

    /**
     * {@code register_default_trap_handler(cb)}.
     *
     * @throws PkvmException {@code EBUSY} if one is registered already; {@code EINVAL} for null
     */
    public void register(DefaultTrapHandler cb) {
        if (cb == null) {
            throw new PkvmException(Errno.EINVAL, "register_default_trap_handler: no handler");
        }
        if (!handler.compareAndSet(null, cb)) {
            throw new PkvmException(Errno.EBUSY, "register_default_trap_handler: a handler is already registered");
        }
    }

    /** Empties the slot if it still holds {@code cb}. */
    public boolean unregister(DefaultTrapHandler cb) {
        return cb != null && handler.compareAndSet(cb, null);
    }

    /**
     * {@code handle_trap}'s default case: the handler, if any.
     *
     * @return whether it handled the trap (false with no handler: the caller panics)
     */
    public boolean dispatch(UserPtRegs regs, long esr) {
        DefaultTrapHandler cb = handler.get();
        return cb != null && cb.handle(regs, esr);
    }
}
