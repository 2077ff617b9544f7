package org.pkvm4j.hypervisor.mem;

import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.HostPermFaultHandler;

/**
 * The modules' host permission-fault handlers: up to 16, in registration order.
 *
 * <p>Kernel counterpart: {@code perm_fault_handlers[]}, {@code
 * __pkvm_register_host_perm_fault_handler} and {@code handle_host_perm_fault} in ACK's {@code
 * nvhe/modules.c} / {@code mem_protect.c}. Dispatch reads the handlers without a lock, in order, and
 * stops at the first that returns 0 (the code's rule; the header comment says the opposite, PKVM.md
 * §1.5). The kernel never empties a slot; pkvm4j drops the handlers of a module whose load fails or
 * that is unloaded ({@link #unregister}); the slots are {@link HandlerSlots}, as the SMC handlers'.
 */
public final class HostPermFaultHandlers {
    /** The number of slots. */
    public static final int MAX_HANDLERS = HandlerSlots.MAX_HANDLERS;

    /** {@code ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT | ESR_ELx_IL}: a data abort from a lower EL. */
    private static final long ESR_DABT_LOW = (0x24L << 26) | (1L << 25);
    /** {@code ESR_ELx_WNR}. */
    private static final long ESR_WNR = 1L << 6;
    /** {@code ESR_ELx_FSC_PERM} at level 3. */
    private static final long ESR_FSC_PERM_L3 = 0x0F;

    private final HandlerSlots<HostPermFaultHandler> slots = new HandlerSlots<>("register_host_perm_fault_handler");

    /**
     * Registers {@code handler} after the ones registered so far.
     *
     * @throws PkvmException {@code EBUSY} when all slots are taken; {@code EINVAL} for null
     */
    public void register(HostPermFaultHandler handler) {
        slots.register(handler);
    }

    /**
     * Drops one registration of {@code handler} (the last, by identity); the others keep their order.
     *
     * @return whether {@code handler} was registered
     */
    public boolean unregister(HostPermFaultHandler handler) {
        return slots.unregister(handler);
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
        for (Object h : slots.snapshot()) {
            if (((HostPermFaultHandler) h).handle(regs, esr, pa) == 0) {
                return true;
            }
        }
        return false;
    }

    /** How many handlers are registered. */
    public int count() {
        return slots.count();
    }
}
