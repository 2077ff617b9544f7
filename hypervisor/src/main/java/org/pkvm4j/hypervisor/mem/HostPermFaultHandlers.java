package org.pkvm4j.hypervisor.mem;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.HostPermFaultHandler;

/**
 * The modules' host permission-fault handlers: 16 slots, filled in order, never emptied.
 *
 * <p>Kernel counterpart: {@code perm_fault_handlers[]}, {@code
 * __pkvm_register_host_perm_fault_handler} and {@code handle_host_perm_fault} in ACK's {@code
 * nvhe/modules.c} / {@code mem_protect.c}. Registration takes the first empty slot with a
 * compare-and-swap; dispatch reads the slots without a lock, in order, and stops at the first
 * handler that returns 0 (the code's rule; the header comment says the opposite, PKVM.md §1.5).
 */
public final class HostPermFaultHandlers {
    /** The number of slots. */
    public static final int MAX_HANDLERS = 16;

    /** {@code ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT | ESR_ELx_IL}: a data abort from a lower EL. */
    private static final long ESR_DABT_LOW = (0x24L << 26) | (1L << 25);
    /** {@code ESR_ELx_WNR}. */
    private static final long ESR_WNR = 1L << 6;
    /** {@code ESR_ELx_FSC_PERM} at level 3. */
    private static final long ESR_FSC_PERM_L3 = 0x0F;

    private final AtomicReferenceArray<HostPermFaultHandler> slots = new AtomicReferenceArray<>(MAX_HANDLERS);

    /**
     * Registers {@code handler} in the first free slot.
     *
     * @throws PkvmException {@code EBUSY} when all slots are taken; {@code EINVAL} for null
     */
    public void register(HostPermFaultHandler handler) {
        if (handler == null) {
            throw new PkvmException(Errno.EINVAL, "register_host_perm_fault_handler: null handler");
        }
        for (int i = 0; i < MAX_HANDLERS; i++) {
            if (slots.compareAndSet(i, null, handler)) {
                return;
            }
        }
        throw new PkvmException(Errno.EBUSY, "register_host_perm_fault_handler: all %d slots taken".formatted(MAX_HANDLERS));
    }

    /** The ESR of a level-3 permission fault from the host, a write if {@code write}. */
    public static long esr(boolean write) {
        return ESR_DABT_LOW | (write ? ESR_WNR : 0) | ESR_FSC_PERM_L3;
    }

    /**
     * {@code handle_host_perm_fault}: runs the handlers in order until one returns 0.
     *
     * @return true if a handler claimed the fault; false if none did (the abort is injected)
     */
    public boolean dispatch(UserPtRegs regs, long pa, boolean write) {
        long esr = esr(write);
        for (int i = 0; i < MAX_HANDLERS; i++) {
            HostPermFaultHandler h = slots.get(i);
            if (h == null) {
                return false;
            }
            if (h.handle(regs, esr, pa) == 0) {
                return true;
            }
        }
        return false;
    }

    /** How many handlers are registered. */
    public int count() {
        int n = 0;
        while (n < MAX_HANDLERS && slots.get(n) != null) {
            n++;
        }
        return n;
    }
}
