package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.cli.explore.BootOutcome;
import org.pkvm4j.cli.explore.Exploration;
import org.pkvm4j.cli.explore.Explorer;
import org.pkvm4j.host.json.JsonWriter;

/** Writes an exploration as one JSON document ({@code pkvm explore --json}). */
final class ExploreJson {
    private ExploreJson() {
    }

    static void write(PrintWriter out, Exploration e) {
        JsonWriter w = new JsonWriter(out);
        Set<FaultPlan> dependent = e.orderDependent();
        w.beginObject();
        w.name("modules").beginArray();
        e.modules().forEach(w::value);
        w.endArray();
        w.name("faultKinds").beginArray();
        for (BootFault.Kind k : BootFault.Kind.values()) {
            if (e.kinds().contains(k)) {
                w.value(k.spelling());
            }
        }
        w.endArray();
        w.member("orders", e.orders()).member("faultPoints", e.faultPoints()).member("planned", e.planned())
                .member("explored", e.runs().size()).member("bounded", e.isBounded());
        w.name("seconds").value(e.nanos() / 1e9);
        w.name("bootsPerSecond").value(e.bootsPerSecond());
        w.name("cpuSeconds").value(e.cpuNanos() / 1e9);
        w.name("bootsPerCpuSecond").value(e.bootsPerCpuSecond());
        w.name("boots").beginArray();
        for (Explorer.Run r : e.runs()) {
            w.beginObject();
            w.member("fault", r.fault().toString());
            w.name("faultKind");
            if (r.fault().isEmpty()) {
                w.nullValue();
            } else {
                w.value(r.fault().faults().getFirst().kind().spelling());
            }
            w.name("order").beginArray();
            r.order().forEach(w::value);
            w.endArray();
            w.member("orderDependent", dependent.contains(r.fault()));
            if (r.outcome().isPresent()) {
                outcome(w, r.outcome().get());
            } else {
                w.member("error", r.error().orElseThrow().toString());
            }
            w.endObject();
        }
        w.endArray();
        w.name("orderDependent").beginArray();
        dependent.forEach(f -> w.value(f.toString()));
        w.endArray();
        w.member("errors", e.errors().size());
        w.endObject();
        w.finish();
        out.println();
    }

    private static void outcome(JsonWriter w, BootOutcome o) {
        w.name("outcome").beginObject();
        w.member("security", o.security());
        w.name("failedModule");
        o.failedModule().ifPresentOrElse(w::value, w::nullValue);
        w.name("errno");
        o.errno().map(Errno::name).ifPresentOrElse(w::value, w::nullValue);
        w.name("hvcsAnswering").beginObject();
        o.answering().forEach((m, n) -> w.member(m, n));
        w.endObject();
        w.member("strayHvcs", o.strayHvcs());
        w.member("pvmAllowed", o.pvmAllowed());
        w.name("pvmErrno");
        o.pvmErrno().map(Errno::name).ifPresentOrElse(w::value, w::nullValue);
        w.name("lateLoads").beginObject();
        o.lateLoads().forEach((m, r) -> w.member(m, r));
        w.endObject();
        w.endObject();
    }
}
