package org.pkvm4j.hypervisor.mem;

import java.util.concurrent.atomic.AtomicReference;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.IllegalAbtNotifier;

/**
 * The one module callback run before an abort is injected into the host.
 *
 * <p>Kernel counterpart: {@code illegal_abt_notifier} and {@code
 * __pkvm_register_illegal_abt_notifier} in {@code nvhe/modules.c}, called by {@code
 * host_inject_abort} in {@code nvhe/mem_protect.c}. One slot, set with a compare-and-swap (and emptied
 * the same way when its module goes, {@link #unregister}); the fault path reads it without a lock.
 */
public final class IllegalAbtNotifiers {
    private final AtomicReference<IllegalAbtNotifier> notifier = new AtomicReference<>();

    /**
     * {@code register_illegal_abt_notifier(cb)}.
     *
     * @throws PkvmException {@code EBUSY} if one is registered already
     */
    public void register(IllegalAbtNotifier cb) {
        if (cb == null) {
            throw new PkvmException(Errno.EINVAL, "register_illegal_abt_notifier: no callback");
        }
        if (!notifier.compareAndSet(null, cb)) {
            throw new PkvmException(Errno.EBUSY, "register_illegal_abt_notifier: a notifier is already registered");
        }
    }

    /**
     * Empties the slot if it still holds {@code cb}, with a compare-and-swap: a module whose load
     * fails or that is unloaded takes its notifier with it (pkvm4j; the kernel cannot unload).
     *
     * @return whether {@code cb} was the registered notifier
     */
    public boolean unregister(IllegalAbtNotifier cb) {
        return cb != null && notifier.compareAndSet(cb, null);
    }

    /** {@code host_inject_abort}'s call: runs the notifier, if any, on the host's registers. */
    public void beforeInjection(UserPtRegs regs) {
        IllegalAbtNotifier cb = notifier.get();
        if (cb != null) {
            cb.onIllegalAbort(regs);
        }
    }
}
