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

/**
 * Writes an exploration as one JSON document ({@code pkvm explore --json}, a shard's result, and
 * {@code pkvm explore merge}). No timings: the document is a function of the inputs, so the merge
 * of a run's shards is byte for byte the run's document ({@link ExploreJsonReader} reads it back).
 */
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
                .writeNumberProperty("explored", e.explored()).writeBooleanProperty("bounded", e.isBounded())
                .writeBooleanProperty("exhaustive", e.exhaustive());
        if (!e.shard().isAll()) {
            w.writeStringProperty("shard", e.shard().toString());
        }
        w.writeName("faults").writeStartArray();
        for (FaultPlan plan : e.faults()) {
            w.writeStartArray();
            for (BootFault f : plan.faults()) {
                fault(w, f);
            }
            w.writeEndArray();
        }
        w.writeEndArray();
        w.writeName("boots").writeStartArray();
        for (Explorer.Run r : e.runs()) {
            w.writeStartObject();
            w.writeNumberProperty("index", r.index());
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
            w.writeStringProperty("reduction", r.reduction().spelling());
            w.writeName("sameAs");
            if (r.sameAs().isPresent()) {
                w.writeNumber(r.sameAs().getAsInt());
            } else {
                w.writeNull();
            }
            if (r.outcome().isPresent()) {
                outcome(w, r.outcome().get());
            } else {
                w.writeStringProperty("error", r.error().orElseThrow());
            }
            w.writeEndObject();
        }
        w.writeEndArray();
        w.writeName("orderDependent").writeStartArray();
        dependent.forEach(f -> w.writeString(f.toString()));
        w.writeEndArray();
        w.writeNumberProperty("booted", e.booted());
        w.writeName("skipped").writeStartObject();
        e.skipped().forEach((reason, n) -> w.writeNumberProperty(reason.spelling(), n));
        w.writeEndObject();
        w.writeNumberProperty("errors", e.errors().size());
        w.writeEndObject();
        JsonOutput.finish(w);
        out.println();
    }

    private static void fault(JsonGenerator w, BootFault f) {
        w.writeStartObject();
        w.writeStringProperty("kind", f.kind().spelling());
        w.writeStringProperty("module", f.module());
        switch (f) {
            case BootFault.El1InitFails e -> w.writeStringProperty("errno", e.errno().name());
            case BootFault.El2InitFails e -> w.writeStringProperty("errno", e.errno().name());
            case BootFault.HcallRegistrationFails e -> {
                w.writeNumberProperty("call", e.nth());
                w.writeStringProperty("errno", e.errno().name());
            }
            case BootFault.LoadsLate l -> {
            }
        }
        w.writeEndObject();
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
