package org.pkvm4j.host.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.host.cmdline.BootConfigException;
import org.pkvm4j.host.json.JsonWriter;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.TraceUnit;

/**
 * A trace in the Chrome/Perfetto trace-event format ("JSON Object Format"), written as it happens:
 * {@code {"traceEvents":[...],"displayTimeUnit":"ns","otherData":{"droppedEvents":N}}}.
 *
 * <p>Process 1 is the device. Thread {@link #HOST_TID} is the EL1 boot: a complete event ({@code
 * "ph":"X"}) per boot step and per {@code modprobe}. Thread {@code n} is CPU {@code n}: a complete
 * event per EL2 handler run, named by its symbol, with the module and HVC as args. A hyp panic is an
 * instant event ({@code "ph":"i"}) on the CPU that panicked, with the report. Times are in
 * microseconds from the start of the trace.
 *
 * <p>Handler spans wait in the machine's bounded per-CPU buffers and are copied out at each host
 * event and at {@link #close()}; spans that found a buffer full are lost and counted in {@code
 * otherData.droppedEvents}, so a long workload costs bounded memory.
 */
public final class TraceFile implements BootTrace, AutoCloseable {
    /** The thread id of the EL1 boot sequence and module loads. */
    public static final int HOST_TID = 1000;
    /** The device's process id. */
    public static final int PID = 1;
    /** Spans each CPU's buffer holds between two drains. */
    public static final int SPANS_PER_CPU = 1 << 16;

    private final Writer out;
    private final JsonWriter json;
    private final long originNanos = System.nanoTime();
    private final int spansPerCpu;
    private TraceUnit unit;
    // System.nanoTime() at the machine's power-on: turns machine uptimes into trace times.
    private long machineEpochNanos;
    private boolean closed;

    private TraceFile(Writer out, int spansPerCpu) {
        this.out = out;
        this.spansPerCpu = spansPerCpu;
        this.json = new JsonWriter(out);
        json.beginObject().name("traceEvents").beginArray();
        metadata("process_name", PID, 0, "pkvm4j device");
        metadata("thread_name", PID, HOST_TID, "EL1 boot");
        metadata("thread_sort_index", PID, HOST_TID, -1);
    }

    /**
     * Starts a trace written to {@code file}.
     *
     * @throws BootConfigException if the file cannot be created
     */
    public static TraceFile create(Path file) {
        try {
            return new TraceFile(Files.newBufferedWriter(file), SPANS_PER_CPU);
        } catch (IOException e) {
            throw new BootConfigException("cannot write the trace file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A trace written to {@code out}, for tests and embedders, whose CPUs buffer {@code spansPerCpu}
     * handler spans between two drains.
     */
    public static TraceFile to(Writer out, int spansPerCpu) {
        return new TraceFile(out instanceof BufferedWriter ? out : new BufferedWriter(out), spansPerCpu);
    }

    @Override
    public synchronized void machineBuilt(Machine machine) {
        machineEpochNanos = System.nanoTime() - machine.uptimeNanos();
        unit = machine.enableTrace(spansPerCpu);
        for (int cpu = 0; cpu < machine.nrCpus(); cpu++) {
            metadata("thread_name", PID, cpu, "CPU" + cpu + " (EL2)");
            metadata("thread_sort_index", PID, cpu, cpu);
        }
        machine.onHypPanic(this::hypPanic);
    }

    @Override
    public synchronized void step(int number, String name, long startNanos, long nanos) {
        drainSpans();
        complete(number + ". " + name, "boot", HOST_TID, startNanos - originNanos, nanos);
        json.name("args").beginObject().member("step", number).endObject();
        json.endObject();
    }

    @Override
    public synchronized void moduleLoad(String module, long startNanos, long nanos, String result, String code) {
        drainSpans();
        complete("modprobe " + module, "module", HOST_TID, startNanos - originNanos, nanos);
        json.name("args").beginObject().member("module", module).member("result", result);
        if (code != null) {
            json.member("code", code);
        }
        json.endObject().endObject();
    }

    /** Records a hyp panic: called by the machine on the panicking CPU. */
    synchronized void hypPanic(HypPanic panic) {
        if (closed) {
            return;
        }
        json.beginObject().member("name", "hyp_panic").member("cat", "panic").member("ph", "i").member("s", "t")
                .name("ts").value(micros(panic.uptimeNanos() + machineEpochNanos - originNanos))
                .member("pid", PID).member("tid", panic.cpu())
                .name("args").beginObject().member("cpu", panic.cpu()).member("reason", panic.reason())
                .member("detail", panic.detail()).endObject()
                .endObject();
    }

    /** Copies the buffered handler spans out, so the machine's buffers stay free for more. */
    public synchronized void flush() {
        drainSpans();
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the last spans and the dropped-events count and closes the file. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        drainSpans();
        closed = true;
        // otherData is the format's place for metadata; viewers show it and ignore what they do not know.
        json.endArray().member("displayTimeUnit", "ns").name("otherData").beginObject()
                .member("droppedEvents", unit == null ? 0 : unit.dropped()).endObject();
        json.endObject().finish();
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void drainSpans() {
        if (unit == null || closed) {
            return;
        }
        unit.drain(s -> {
            if (s.hvc() == TraceUnit.OVER_BUDGET) {
                // The lockup watchdog's finding: code that ran past pkvm.hyp_budget_ms and returned.
                complete("over budget: " + s.symbol(), "el2_over_budget", s.cpu(), s.startNanos() + machineEpochNanos - originNanos, s.durNanos());
                json.name("args").beginObject().member("module", s.module()).member("symbol", s.symbol()).endObject();
            } else {
                complete(s.symbol(), "el2", s.cpu(), s.startNanos() + machineEpochNanos - originNanos, s.durNanos());
                json.name("args").beginObject().member("module", s.module()).member("hvc", s.hvc()).endObject();
            }
            json.endObject();
        });
    }

    /** Opens a complete event; the caller adds its args and closes it. */
    private void complete(String name, String cat, int tid, long tsNanos, long durNanos) {
        json.beginObject().member("name", name).member("cat", cat).member("ph", "X")
                .name("ts").value(micros(tsNanos)).name("dur").value(micros(durNanos))
                .member("pid", PID).member("tid", tid);
    }

    private void metadata(String what, int pid, int tid, String name) {
        json.beginObject().member("name", what).member("ph", "M").member("pid", pid).member("tid", tid)
                .name("args").beginObject().member("name", name).endObject().endObject();
    }

    private void metadata(String what, int pid, int tid, long sortIndex) {
        json.beginObject().member("name", what).member("ph", "M").member("pid", pid).member("tid", tid)
                .name("args").beginObject().member("sort_index", sortIndex).endObject().endObject();
    }

    private static double micros(long nanos) {
        return nanos / 1000.0;
    }
}
