package org.pkvm4j.hypervisor.mem;

import java.util.Arrays;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;

/**
 * A fixed number of module handler slots, taken in registration order.
 *
 * <p>Kernel counterpart: the {@code perm_fault_handlers[]}, {@code host_smc_handlers[]} and {@code
 * guest_smc_handlers[]} arrays of {@code nvhe/modules.c}: registration takes the first empty slot, full is {@code -EBUSY}, dispatch
 * reads the slots without a lock. pkvm4j also drops the handlers of a module that failed or was
 * unloaded ({@link #unregister}), so the slots are a copy-on-write array: writers copy it under this
 * object's monitor, dispatch reads one volatile reference.
 *
 * @param <T> the handler type
 */
public final class HandlerSlots<T> {
    /** The kernel's slot count for every handler class. */
    public static final int MAX_HANDLERS = 16;

    private final String what;
    private volatile Object[] handlers = new Object[0];

    /** Empty slots; {@code what} names the registration in refusals, e.g. {@code register_host_smc_handler}. */
    public HandlerSlots(String what) {
        this.what = what;
    }

    /**
     * Takes the next slot for {@code handler}.
     *
     * @throws PkvmException {@code EINVAL} for null; {@code EBUSY} when all 16 slots are taken
     */
    public synchronized void register(T handler) {
        if (handler == null) {
            throw new PkvmException(Errno.EINVAL, what + ": null handler");
        }
        Object[] now = handlers;
        if (now.length == MAX_HANDLERS) {
            throw new PkvmException(Errno.EBUSY, "%s: all %d slots taken".formatted(what, MAX_HANDLERS));
        }
        Object[] next = Arrays.copyOf(now, now.length + 1);
        next[now.length] = handler;
        handlers = next;
    }

    /**
     * Takes the first slot for {@code handler} if every slot is empty: the one-slot registration of
     * older branches (android14-5.15's host SMC handler).
     *
     * @throws PkvmException {@code EINVAL} for null; {@code EBUSY} when a slot is taken
     */
    public synchronized void registerIfEmpty(T handler) {
        if (handler == null) {
            throw new PkvmException(Errno.EINVAL, what + ": null handler");
        }
        if (handlers.length != 0) {
            throw new PkvmException(Errno.EBUSY, what + ": a handler is already registered");
        }
        handlers = new Object[] {handler};
    }

    /**
     * Drops one registration of {@code handler} (the last, by identity); the others keep their order.
     *
     * @return whether it was registered
     */
    public synchronized boolean unregister(T handler) {
        Object[] now = handlers;
        for (int i = now.length - 1; i >= 0; i--) {
            if (now[i] == handler) {
                Object[] next = new Object[now.length - 1];
                System.arraycopy(now, 0, next, 0, i);
                System.arraycopy(now, i + 1, next, i, now.length - i - 1);
                handlers = next;
                return true;
            }
        }
        return false;
    }

    /** The handlers in registration order, for one dispatch (never modified: a snapshot); each is a {@code T}. */
    public Object[] snapshot() {
        return handlers;
    }

    /** How many slots are taken. */
    public int count() {
        return handlers.length;
    }
}
