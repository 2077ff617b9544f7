package org.pkvm4j.hypervisor.traps;

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
}
