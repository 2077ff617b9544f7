package org.pkvm4j.hypervisor;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
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
            table[h.id()] = Objects.requireNonNull(all.get(h), () -> "no handler for " + h.symbol());
        }
        return new HostHcallTable(table);
    }

    /** The handler of function number {@code id}, or null if there is none. */
    HostHcallHandler get(long id) {
        return id >= 0 && id < handlers.length ? handlers[(int) id] : null;
    }
}
