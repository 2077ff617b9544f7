package org.pkvm4j.hypervisor;

import java.util.EnumMap;
import java.util.Map;
import org.pkvm4j.machine.HostHcall;

/**
 * The static host hypercall table, indexed by function number ({@code host_hcall[]}).
 *
 * <p>Built once at init and never changed: a plain array the dispatcher reads without a lock.
 */
public final class HostHcallTable {
    private final HostHcallHandler[] handlers;

    private HostHcallTable(HostHcallHandler[] handlers) {
        this.handlers = handlers;
    }

    /** A table serving exactly the given calls; every call pkvm4j defines must be bound. */
    public static HostHcallTable of(Map<HostHcall, HostHcallHandler> bindings) {
        EnumMap<HostHcall, HostHcallHandler> all = new EnumMap<>(HostHcall.class);
        all.putAll(bindings);
        HostHcallHandler[] table = new HostHcallHandler[HostHcall.maxId() + 1];
        for (HostHcall h : HostHcall.values()) {
            // A plain check, not requireNonNull(..., supplier): a lambda here would link again on every
            // boot, this class being defined anew in each boot's hyp layer.
            HostHcallHandler handler = all.get(h);
            if (handler == null) {
                throw new NullPointerException("no handler for " + h.symbol());
            }
            table[h.id()] = handler;
        }
        return new HostHcallTable(table);
    }

    /** The handler of function number {@code id}, or null if there is none. */
    HostHcallHandler get(long id) {
        return id >= 0 && id < handlers.length ? handlers[(int) id] : null;
    }
}
