package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HandlerTrace;
import org.pkvm4j.machine.HypPlatform;

/**
 * The module hypercall table: ids 128..255, each bound to one EL2 handler.
 *
 * <p>Kernel counterpart: {@code dyn_hcall_table}, {@code __pkvm_register_dyn_hcall} and {@code
 * handle_host_dynamic_hcall} in {@code nvhe/modules.c}. Registration takes a lock and publishes
 * the new count with release ordering after the slot is written; dispatch reads the count with
 * acquire ordering and the slot without a lock, so a reader never sees a count whose slot is not
 * yet visible.
 */
public final class DynamicHcalls {
    private final Hcall[] slots = new Hcall[Smccc.MAX_DYNAMIC_HCALLS];
    // Written under the lock, after the slot (release); read by dispatch first (acquire).
    private volatile int count;
    // Null unless boot switched the machine's trace unit on: the untraced dispatch is one null test.
    private final HandlerTrace trace;
    private final HypPlatform platform;

    /** A table on {@code platform}'s CPUs whose handler runs are not traced. */
    public DynamicHcalls(HypPlatform platform) {
        this(platform, null);
    }

    /** A table on {@code platform}'s CPUs that records every handler run into {@code trace}, if not null. */
    public DynamicHcalls(HypPlatform platform, HandlerTrace trace) {
        this.platform = platform;
        this.trace = trace;
    }

    /**
     * Registers {@code hcall} in the next free slot.
     *
     * @return its hypercall id (slot + 128), or {@code -ENOMEM} when all 128 slots are taken
     */
    synchronized long register(Hcall hcall) {
        int slot = count;
        if (slot >= slots.length) {
            return Errno.ENOMEM.negated();
        }
        slots[slot] = hcall;
        count = slot + 1;
        return slot + Smccc.DYNAMIC_HCALLS_BASE;
    }

    /**
     * Removes every handler of {@code owner}; their ids answer NOT_SUPPORTED from now on. Trailing
     * empty slots are given back, so a failed load at the end of the table frees its ids.
     */
    synchronized int revoke(El2Module owner) {
        int removed = 0;
        for (int i = 0; i < count; i++) {
            if (slots[i] != null && slots[i].owner() == owner) {
                slots[i] = null;
                removed++;
            }
        }
        int n = count;
        while (n > 0 && slots[n - 1] == null) {
            n--;
        }
        count = n;
        return removed;
    }

    /**
     * Dispatches function number {@code id} if it is a registered module call.
     *
     * @return false if {@code id} is not a live dynamic id: the static table gets it next
     */
    public boolean handle(long id, Cpu cpu) {
        long slot = id - Smccc.DYNAMIC_HCALLS_BASE;
        if (slot < 0 || slot >= count) {
            return false;
        }
        Hcall hcall = slots[(int) slot];
        if (hcall == null) {
            return false;
        }
        if (trace == null) {
            hcall.call(platform, cpu);
        } else {
            traced(hcall, id, cpu);
        }
        return true;
    }

    private void traced(Hcall hcall, long id, Cpu cpu) {
        long start = trace.now();
        try {
            hcall.call(platform, cpu);
        } finally {
            // Also when the handler throws: the span ends where the hyp panic starts.
            trace.span(hcall.owner().name(), hcall.symbol(), id, start);
        }
    }

    /** How many ids are handed out (the published count). */
    public int count() {
        return count;
    }

    /** Which handler function number {@code id} reaches, for a panic report. */
    public synchronized String describe(long id) {
        long slot = id - Smccc.DYNAMIC_HCALLS_BASE;
        if (slot < 0 || slot >= count || slots[(int) slot] == null) {
            return "host hypercall " + id;
        }
        Hcall h = slots[(int) slot];
        return "handler " + h.symbol() + " of module " + h.owner().name() + " (hvc " + id + ")";
    }
}
