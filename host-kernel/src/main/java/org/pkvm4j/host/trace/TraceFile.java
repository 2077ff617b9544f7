package org.pkvm4j.host.trace;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.TraceUnit;
import tools.jackson.core.JsonGenerator;

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
    private final JsonGenerator json;
    private final long originNanos = System.nanoTime();
    private final int spansPerCpu;
    private TraceUnit unit;
    // System.nanoTime() at the machine's power-on: turns machine uptimes into trace times.
    private long machineEpochNanos;
    private boolean closed;

    private TraceFile(Writer out, int spansPerCpu) {
        this.out = out;
        this.spansPerCpu = spansPerCpu;
        this.json = JsonOutput.generator(out);
        json.writeStartObject().writeName("traceEvents").writeStartArray();
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
        json.writeName("args").writeStartObject().writeNumberProperty("step", number).writeEndObject();
        json.writeEndObject();
    }

    @Override
    public synchronized void moduleLoad(String module, long startNanos, long nanos, String result, String code) {
        drainSpans();
        complete("modprobe " + module, "module", HOST_TID, startNanos - originNanos, nanos);
        json.writeName("args").writeStartObject().writeStringProperty("module", module).writeStringProperty("result", result);
        if (code != null) {
            json.writeStringProperty("code", code);
        }
        json.writeEndObject().writeEndObject();
    }

    /** Records a hyp panic: called by the machine on the panicking CPU. */
    synchronized void hypPanic(HypPanic panic) {
        if (closed) {
            return;
        }
        json.writeStartObject().writeStringProperty("name", "hyp_panic").writeStringProperty("cat", "panic")
                .writeStringProperty("ph", "i").writeStringProperty("s", "t")
                .writeName("ts").writeNumber(micros(panic.uptimeNanos() + machineEpochNanos - originNanos))
                .writeNumberProperty("pid", PID).writeNumberProperty("tid", panic.cpu())
                .writeName("args").writeStartObject().writeNumberProperty("cpu", panic.cpu())
                .writeStringProperty("reason", panic.reason())
                .writeStringProperty("detail", panic.detail()).writeEndObject()
                .writeEndObject();
    }

    /** Copies the buffered handler spans out, so the machine's buffers stay free for more. */
    public synchronized void flush() {
        drainSpans();
        // The generator's buffer first, then the writer's (Jackson passes the flush on).
        json.flush();
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
        json.writeEndArray().writeStringProperty("displayTimeUnit", "ns").writeName("otherData").writeStartObject()
                .writeNumberProperty("droppedEvents", unit == null ? 0 : unit.dropped()).writeEndObject();
        JsonOutput.finish(json.writeEndObject());
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
                complete("over budget: " + s.symbol(), "el2_over_budget", s.cpu(), s.startNanos() + machineEpochNanos - originNanos,
                        s.durNanos());
                json.writeName("args").writeStartObject().writeStringProperty("module", s.module())
                        .writeStringProperty("symbol", s.symbol()).writeEndObject();
            } else if (s.hvc() == TraceUnit.HYP_EVENT) {
                // An event a module wrote with hyp tracing (tracing_commit_entry, tracing_mod_hyp_printk).
                json.writeStartObject().writeStringProperty("name", s.symbol()).writeStringProperty("cat", "el2_event")
                        .writeStringProperty("ph", "i").writeStringProperty("s", "t")
                        .writeName("ts").writeNumber(micros(s.startNanos() + machineEpochNanos - originNanos))
                        .writeNumberProperty("pid", PID).writeNumberProperty("tid", s.cpu());
                json.writeName("args").writeStartObject().writeStringProperty("module", s.module()).writeEndObject();
            } else {
                complete(s.symbol(), "el2", s.cpu(), s.startNanos() + machineEpochNanos - originNanos, s.durNanos());
                json.writeName("args").writeStartObject().writeStringProperty("module", s.module())
                        .writeNumberProperty("hvc", s.hvc()).writeEndObject();
            }
            json.writeEndObject();
        });
    }

    /** Opens a complete event; the caller adds its args and closes it. */
    private void complete(String name, String cat, int tid, long tsNanos, long durNanos) {
        json.writeStartObject().writeStringProperty("name", name).writeStringProperty("cat", cat).writeStringProperty("ph", "X")
                .writeName("ts").writeNumber(micros(tsNanos)).writeName("dur").writeNumber(micros(durNanos))
                .writeNumberProperty("pid", PID).writeNumberProperty("tid", tid);
    }

    private void metadata(String what, int pid, int tid, String name) {
        json.writeStartObject().writeStringProperty("name", what).writeStringProperty("ph", "M")
                .writeNumberProperty("pid", pid).writeNumberProperty("tid", tid)
                .writeName("args").writeStartObject().writeStringProperty("name", name).writeEndObject().writeEndObject();
    }

    private void metadata(String what, int pid, int tid, long sortIndex) {
        json.writeStartObject().writeStringProperty("name", what).writeStringProperty("ph", "M")
                .writeNumberProperty("pid", pid).writeNumberProperty("tid", tid)
                .writeName("args").writeStartObject().writeNumberProperty("sort_index", sortIndex).writeEndObject()
                .writeEndObject();
    }

    private static double micros(long nanos) {
        return nanos / 1000.0;
    }
}
