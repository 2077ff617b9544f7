package org.pkvm4j.hypervisor.traps;

import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HandlerTrace;

/**
 * Hyp tracing for modules: events they write go to the machine's trace unit, on the CPU that wrote
 * them, and show in {@code --trace}.
 *
 * <p>Kernel counterpart: {@code tracing_reserve_entry}, {@code tracing_commit_entry} and {@code
 * tracing_mod_hyp_printk} of {@code nvhe/trace.c}, writing into the per-CPU hyp ring buffer the host
 * reads. Here each CPU has one entry buffer of {@link #MAX_ENTRY} bytes, allocated from the {@link
 * HypHeap} on first use; commit reads the entry back (its first two bytes, little-endian, are the
 * event id of {@code struct hyp_entry_hdr}) and hands the trace unit one event. With tracing off
 * ({@code trace} null), reserve answers 0 and printk does nothing, as a C module sees with no ring
 * buffer loaded.
 *
 * <p>It also holds the modules' event-id tables ({@code register_hyp_event_ids}), through which the
 * host switches a module's events on and off ({@code __pkvm_enable_event}).
 */
public final class HypTracing {
    /** The largest entry, in bytes. */
    public static final int MAX_ENTRY = 256;
    /** Owner of the entry buffers in the heap: no module. */
    private static final Object BUFFERS = new Object();

    private final HandlerTrace trace;
    private final HypHeap heap;
    private final HypVaSpace va;
    private final long[] buffer;
    private final long[] reserved;
    /** The registered event-id tables, in registration order: copy-on-write under this object's monitor. */
    private volatile List<EventIds> eventIds = List.of();
    /** Each registered id and the entry's address when it was registered; guarded by this object's monitor. */
    private final java.util.Map<Integer, Long> registeredIds = new java.util.HashMap<>();

    /** One module's {@code struct hyp_event_id} array, {@code [start, end)}, and the module that registered it. */
    private record EventIds(long start, long end, Object owner) {
    }

    /** Tracing into {@code trace} (null: off), with entry buffers from {@code heap}. */
    public HypTracing(HandlerTrace trace, HypHeap heap, HypVaSpace va, int nrCpus) {
        this.trace = trace;
        this.heap = heap;
        this.va = va;
        this.buffer = new long[nrCpus];
        this.reserved = new long[nrCpus];
    }

    /**
     * {@code tracing_reserve_entry(length)} on {@code cpu}.
     *
     * @return the entry's hyp VA, or 0 (tracing off, a length outside 2..{@value #MAX_ENTRY}, no
     *     buffer)
     */
    public long reserve(Cpu cpu, long length) {
        if (trace == null || length < 2 || length > MAX_ENTRY) {
            return 0;
        }
        int id = cpu.id();
        if (buffer[id] == 0) {
            // The heap's own request bookkeeping is the module's: the buffer asks for nothing.
            int errno = heap.errno(id);
            int missing = heap.missingDonations(id);
            buffer[id] = heap.alloc(id, MAX_ENTRY, BUFFERS);
            if (buffer[id] == 0) {
                heap.restore(id, errno, missing);
                return 0;
            }
        }
        reserved[id] = length;
        return buffer[id];
    }

    /** {@code tracing_commit_entry()} on {@code cpu}: the reserved entry becomes an event of {@code module}. */
    public void commit(Cpu cpu, String module) {
        int id = cpu.id();
        long length = reserved[id];
        if (trace == null || length == 0) {
            return;
        }
        reserved[id] = 0;
        long at = buffer[id];
        int eventId = (va.load8(at) & 0xFF) | (va.load8(at + 1) & 0xFF) << 8;
        StringBuilder text = new StringBuilder("hyp_event ").append(eventId);
        if (length > 2) {
            text.append(':');
            for (long i = 2; i < length; i++) {
                text.append(i == 2 ? " " : "").append(String.format("%02x", va.load8(at + i) & 0xFF));
            }
        }
        trace.event(cpu, module, text.toString());
    }

    /** {@code tracing_mod_hyp_printk(fmt_id, a, b, c, d)} on {@code cpu} for {@code module}. */
    public void printk(Cpu cpu, String module, int fmtId, long a, long b, long c, long d) {
        if (trace == null) {
            return;
        }
        trace.event(cpu, module, "mod_hyp_printk fmt %d: 0x%x 0x%x 0x%x 0x%x".formatted(fmtId & 0xFF, a, b, c, d));
    }

    // ---------------------------------------------------------------- event ids

    /** {@code sizeof(struct hyp_event_id)}: {@code unsigned short id} at 0, the enable key's hyp VA at 8. */
    public static final int EVENT_ID_SIZE = 16;
    /** The most entries one table may hold: registration reads them all, in one trap. */
    public static final int MAX_EVENT_IDS_PER_TABLE = 1024;

    /**
     * {@code register_hyp_event_ids(start, end)} for {@code owner}: reads the table (an access fault is
     * the access's {@code EFAULT}) and keeps it in one of {@code maxTables} slots.
     *
     * @throws PkvmException {@code ENOMEM} when every slot is taken; {@code EINVAL} for an empty or
     *     misaligned table, one of more than {@value #MAX_EVENT_IDS_PER_TABLE} entries, or an id a table
     *     registered before holds; {@code EFAULT} for an entry the hypervisor cannot read
     */
    public synchronized void registerEventIds(long start, long end, Object owner, int maxTables) {
        List<EventIds> now = eventIds;
        if (now.size() >= maxTables) {
            throw new PkvmException(Errno.ENOMEM, "register_hyp_event_ids: all %d slots taken".formatted(maxTables));
        }
        if ((start & 7) != 0 || end <= start || (end - start) % EVENT_ID_SIZE != 0
                || (end - start) / EVENT_ID_SIZE > MAX_EVENT_IDS_PER_TABLE) {
            throw new PkvmException(Errno.EINVAL, "register_hyp_event_ids(0x%x, 0x%x): not an array of 1..%d struct hyp_event_id"
                    .formatted(start, end, MAX_EVENT_IDS_PER_TABLE));
        }
        java.util.Map<Integer, Long> ids = new java.util.HashMap<>();
        for (long e = start; e < end; e += EVENT_ID_SIZE) {
            int id = (int) (va.load64(e) & 0xFFFF);
            if (ids.putIfAbsent(id, e) != null || registeredIds.containsKey(id)) {
                throw new PkvmException(Errno.EINVAL, "register_hyp_event_ids: event id %d is registered already".formatted(id));
            }
        }
        registeredIds.putAll(ids);
        List<EventIds> next = new ArrayList<>(now);
        next.add(new EventIds(start, end, owner));
        eventIds = List.copyOf(next);
    }

    /** Drops the tables {@code owner} registered (a module that failed or was unloaded). */
    public synchronized void unregisterEventIds(Object owner) {
        for (EventIds t : eventIds) {
            if (t.owner() == owner) {
                registeredIds.values().removeIf(at -> at >= t.start() && at < t.end());
            }
        }
        eventIds = eventIds.stream().filter(t -> t.owner() != owner).toList();
    }

    /** How many event-id tables are registered. */
    public int eventIdTables() {
        return eventIds.size();
    }

    /**
     * {@code __pkvm_enable_event(id, enable)}: writes 1 or 0 to the enable key ({@code atomic_t}) of
     * the registered entry with that id.
     *
     * <p>Under the lock {@link #unregisterEventIds} takes: a module unloading meanwhile cannot have its
     * key written after its tables are gone (its VA may be the next module's by then).
     *
     * @return 0, or {@code -EINVAL} when no registered table has the id; {@code -EFAULT} if its key
     *     cannot be written
     */
    public synchronized int enableEvent(long id, boolean enable) {
        long key = id < 0 || id > 0xFFFF ? 0 : keyOf(eventIds, (int) id);
        if (key == 0) {
            return -Errno.EINVAL.code();
        }
        try {
            va.store8(key, (byte) (enable ? 1 : 0));
            for (int i = 1; i < 4; i++) {
                va.store8(key + i, (byte) 0);
            }
        } catch (PkvmException e) {
            return (int) e.errno().negated();
        }
        return 0;
    }

    /**
     * The enable key's hyp VA of event {@code id}, read from the tables now ({@code __try_set_event});
     * 0 if none has it. The entry recorded at registration is tried first; a table the module changed
     * since is searched as the kernel does.
     */
    private long keyOf(List<EventIds> tables, int id) { // under the lock (enableEvent)
        Long at = registeredIds.get(id);
        try {
            if (at != null && (va.load64(at) & 0xFFFF) == id) {
                return va.load64(at + 8);
            }
        } catch (PkvmException gone) {
            // unreadable now: search below
        }
        for (EventIds t : tables) {
            for (long e = t.start(); e < t.end(); e += EVENT_ID_SIZE) {
                try {
                    if ((va.load64(e) & 0xFFFF) == id) {
                        return va.load64(e + 8);
                    }
                } catch (PkvmException gone) {
                    break; // the table is no longer readable: it holds nothing
                }
            }
        }
        return 0;
    }
}
