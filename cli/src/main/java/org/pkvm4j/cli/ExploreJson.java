package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.cli.explore.BootOutcome;
import org.pkvm4j.cli.explore.Exploration;
import org.pkvm4j.cli.explore.Explorer;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.trace.JsonOutput;
import tools.jackson.core.JsonGenerator;

/** Writes an exploration as one JSON document ({@code pkvm explore --json}). */
final class ExploreJson {
    private ExploreJson() {
    }

    static void write(PrintWriter out, Exploration e) {
        JsonGenerator w = JsonOutput.generator(out);
        Set<FaultPlan> dependent = e.orderDependent();
        w.writeStartObject();
        w.writeName("modules").writeStartArray();
        e.modules().forEach(w::writeString);
        w.writeEndArray();
        w.writeName("faultKinds").writeStartArray();
        for (BootFault.Kind k : BootFault.Kind.values()) {
            if (e.kinds().contains(k)) {
                w.writeString(k.spelling());
            }
        }
        w.writeEndArray();
        w.writeNumberProperty("orders", e.orders()).writeNumberProperty("faultPoints", e.faultPoints())
                .writeNumberProperty("planned", e.planned())
                .writeNumberProperty("explored", e.runs().size()).writeBooleanProperty("bounded", e.isBounded());
        w.writeName("seconds").writeNumber(e.nanos() / 1e9);
        w.writeName("bootsPerSecond").writeNumber(e.bootsPerSecond());
        w.writeName("cpuSeconds").writeNumber(e.cpuNanos() / 1e9);
        w.writeName("bootsPerCpuSecond").writeNumber(e.bootsPerCpuSecond());
        w.writeName("boots").writeStartArray();
        for (Explorer.Run r : e.runs()) {
            w.writeStartObject();
            w.writeStringProperty("fault", r.fault().toString());
            w.writeName("faultKind");
            if (r.fault().isEmpty()) {
                w.writeNull();
            } else {
                w.writeString(r.fault().faults().getFirst().kind().spelling());
            }
            w.writeName("order").writeStartArray();
            r.order().forEach(w::writeString);
            w.writeEndArray();
            w.writeBooleanProperty("orderDependent", dependent.contains(r.fault()));
            if (r.outcome().isPresent()) {
                outcome(w, r.outcome().get());
            } else {
                w.writeStringProperty("error", r.error().orElseThrow().toString());
            }
            w.writeEndObject();
        }
        w.writeEndArray();
        w.writeName("orderDependent").writeStartArray();
        dependent.forEach(f -> w.writeString(f.toString()));
        w.writeEndArray();
        w.writeNumberProperty("errors", e.errors().size());
        w.writeEndObject();
        JsonOutput.finish(w);
        out.println();
    }

    private static void outcome(JsonGenerator w, BootOutcome o) {
        w.writeName("outcome").writeStartObject();
        w.writeStringProperty("security", o.security());
        w.writeName("failedModule");
        o.failedModule().ifPresentOrElse(w::writeString, w::writeNull);
        w.writeName("errno");
        o.errno().map(Errno::name).ifPresentOrElse(w::writeString, w::writeNull);
        w.writeName("hvcsAnswering").writeStartObject();
        o.answering().forEach((m, n) -> w.writeNumberProperty(m, n));
        w.writeEndObject();
        w.writeNumberProperty("strayHvcs", o.strayHvcs());
        w.writeBooleanProperty("pvmAllowed", o.pvmAllowed());
        w.writeName("pvmErrno");
        o.pvmErrno().map(Errno::name).ifPresentOrElse(w::writeString, w::writeNull);
        w.writeName("lateLoads").writeStartObject();
        o.lateLoads().forEach((m, r) -> w.writeStringProperty(m, r));
        w.writeEndObject();
        w.writeEndObject();
    }
}
