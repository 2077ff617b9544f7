package org.pkvm4j.hypervisor.smc;

import java.util.concurrent.atomic.AtomicReference;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.GuestSmcHandler;
import org.pkvm4j.api.el2.GuestTrngOps;
import org.pkvm4j.api.el2.HostSmcHandler;
import org.pkvm4j.api.el2.PsciEvent;
import org.pkvm4j.api.el2.PsciNotifier;
import org.pkvm4j.hypervisor.mem.HandlerSlots;

/**
 * What modules registered for SMCs and PSCI: the host and guest SMC handlers (16 slots each), the
 * PSCI notifier and the guest TRNG ops (one slot each, set with a compare-and-swap).
 *
 * <p>Kernel counterpart: {@code host_smc_handlers[]}, {@code guest_smc_handlers[]}, {@code
 * pkvm_psci_notifier} and the TRNG ops pointer of {@code nvhe/modules.c} / {@code nvhe/pkvm.c}. The
 * dispatch paths read them without a lock.
 */
public final class SmcRegistry {
    private final HandlerSlots<HostSmcHandler> hostSmc = new HandlerSlots<>("register_host_smc_handler");
    private final HandlerSlots<GuestSmcHandler> guestSmc = new HandlerSlots<>("register_guest_smc_handler");
    private final AtomicReference<PsciNotifier> psciNotifier = new AtomicReference<>();
    private final AtomicReference<GuestTrngOps> trngOps = new AtomicReference<>();

    /** {@code register_host_smc_handler}. */
    public void registerHostSmcHandler(HostSmcHandler handler) {
        hostSmc.register(handler);
    }

    /**
     * android14-5.15's {@code register_host_smc_handler}: one slot, taken with a compare-and-swap.
     *
     * @throws PkvmException {@code EINVAL} for null; {@code EBUSY} if a host SMC handler is registered
     */
    public void registerOnlyHostSmcHandler(HostSmcHandler handler) {
        hostSmc.registerIfEmpty(handler);
    }

    /** {@code register_guest_smc_handler}. */
    public void registerGuestSmcHandler(GuestSmcHandler handler) {
        guestSmc.register(handler);
    }

    /**
     * {@code register_psci_notifier}.
     *
     * @throws PkvmException {@code EINVAL} for null, {@code EBUSY} if one is registered
     */
    public void registerPsciNotifier(PsciNotifier notifier) {
        if (notifier == null) {
            throw new PkvmException(Errno.EINVAL, "register_psci_notifier: no callback");
        }
        if (!psciNotifier.compareAndSet(null, notifier)) {
            throw new PkvmException(Errno.EBUSY, "register_psci_notifier: a notifier is already registered");
        }
    }

    /**
     * {@code register_guest_trng_ops}.
     *
     * @throws PkvmException {@code EINVAL} for null ops, a nil UUID or no {@code rnd64}; {@code EBUSY}
     *     if ops are installed
     */
    public void registerGuestTrngOps(GuestTrngOps ops) {
        if (ops == null || ops.rnd64() == null || (ops.uuidHigh() == 0 && ops.uuidLow() == 0)) {
            throw new PkvmException(Errno.EINVAL, "register_guest_trng_ops: missing uuid or rnd64");
        }
        if (!trngOps.compareAndSet(null, ops)) {
            throw new PkvmException(Errno.EBUSY, "register_guest_trng_ops: ops are already registered");
        }
    }

    /** Drops {@code handler} (a module that failed or was unloaded). */
    public void unregisterHostSmcHandler(HostSmcHandler handler) {
        hostSmc.unregister(handler);
    }

    /** Drops {@code handler}. */
    public void unregisterGuestSmcHandler(GuestSmcHandler handler) {
        guestSmc.unregister(handler);
    }

    /** Empties the notifier slot if it still holds {@code notifier}. */
    public void unregisterPsciNotifier(PsciNotifier notifier) {
        psciNotifier.compareAndSet(notifier, null);
    }

    /** Empties the TRNG slot if it still holds {@code ops}. */
    public void unregisterGuestTrngOps(GuestTrngOps ops) {
        trngOps.compareAndSet(ops, null);
    }

    /** The host SMC handlers in order until one returns true; whether one did. */
    public boolean dispatchHostSmc(UserPtRegs regs) {
        for (Object h : hostSmc.snapshot()) {
            if (((HostSmcHandler) h).handle(regs)) {
                return true;
            }
        }
        return false;
    }

    /** The guest SMC handlers in order until one returns true; whether one did. */
    public boolean dispatchGuestSmc(UserPtRegs regs, long vmHandle) {
        for (Object h : guestSmc.snapshot()) {
            if (((GuestSmcHandler) h).handle(regs, vmHandle)) {
                return true;
            }
        }
        return false;
    }

    /** {@code pkvm_psci_notify}: runs the notifier, if any. */
    public void notifyPsci(PsciEvent event, UserPtRegs regs) {
        PsciNotifier n = psciNotifier.get();
        if (n != null) {
            n.notify(event, regs);
        }
    }

    /** The installed TRNG ops, or null. */
    public GuestTrngOps trngOps() {
        return trngOps.get();
    }

    /** How many host SMC handlers are registered. */
    public int hostSmcHandlers() {
        return hostSmc.count();
    }

    /** How many guest SMC handlers are registered. */
    public int guestSmcHandlers() {
        return guestSmc.count();
    }
}
