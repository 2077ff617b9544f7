package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.util.List;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.Modinfo;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.initramfs.ModuleSignature;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.trace.JsonOutput;
import org.pkvm4j.host.verify.Violation;
import org.pkvm4j.tools.abi.AbiChange;
import org.pkvm4j.tools.abi.AbiDiff;
import org.pkvm4j.tools.verify.VerifyReport;
import tools.jackson.core.JsonGenerator;

/**
 * The {@code --json} form of each command's report: one JSON document on stdout, the same facts as
 * the text, with the stable error code of every refusal. Durations are in nanoseconds.
 */
final class JsonReports {
    private JsonReports() {
    }

    /** {@code pkvm boot --json}. */
    static void boot(PrintWriter out, HostKernel kernel, List<DemoWorkload.Check> checks, long demoNanos, boolean ok) {
        BootReport r = kernel.bootReport();
        JsonGenerator json = JsonOutput.generator(out);
        json.writeStartObject().writeStringProperty("cmdline", r.cmdline()).writeStringProperty("result", ok ? "OK" : "FAILED");
        security(json.writeName("security"), r.security());
        json.writeBooleanProperty("deprivileged", r.deprivileged()).writeNumberProperty("cpus", kernel.machine().nrCpus());
        json.writeName("panic");
        r.panic().ifPresentOrElse(p -> json.writeStartObject().writeStringProperty("code", ErrorCode.ofPanic(p).code())
                .writeNumberProperty("cpu", p.cpu()).writeStringProperty("reason", p.reason())
                .writeStringProperty("detail", p.detail())
                .writeNumberProperty("uptimeNanos", p.uptimeNanos()).writeEndObject(), json::writeNull);
        json.writeNumberProperty("totalNanos", r.totalNanos()).writeName("steps").writeStartArray();
        for (BootReport.Step s : r.steps()) {
            json.writeStartObject().writeNumberProperty("number", s.number()).writeStringProperty("name", s.name())
                    .writeNumberProperty("nanos", s.nanos()).writeEndObject();
        }
        json.writeEndArray().writeName("modules").writeStartArray();
        for (LoadedModule m : kernel.lsmod()) {
            json.writeStartObject().writeStringProperty("name", m.name()).writeStringProperty("version", m.modinfo().version())
                    .writeStringProperty("sha256", m.sha256()).writeStringProperty("signature", m.describeSignature())
                    .writeStringProperty("el1Module", m.el1Module()).writeName("token");
            m.token().ifPresentOrElse(t -> json.writeString("0x%016x".formatted(t.hypVa())), json::writeNull);
            json.writeName("hvcs").writeStartArray();
            for (HvcNumber h : m.hvcs()) {
                json.writeStartObject().writeNumberProperty("id", h.id())
                        .writeStringProperty("functionId", "0x%X".formatted(h.smcccFunctionId())).writeEndObject();
            }
            json.writeEndArray().writeNumberProperty("loadNanos", m.loadNanos()).writeEndObject();
        }
        json.writeEndArray().writeName("lateLoads").writeStartArray();
        for (BootReport.LateLoad l : r.lateLoads()) {
            json.writeStartObject().writeStringProperty("module", l.module()).writeName("errno");
            l.errno().ifPresentOrElse(e -> json.writeString(e.name()), json::writeNull);
            json.writeStringProperty("message", l.message()).writeEndObject();
        }
        json.writeEndArray().writeStringProperty("initramfs", r.initramfs()).writeName("measurements").writeStartObject();
        r.measurements().writeJson(json);
        json.writeEndObject().writeName("demo").writeStartObject().writeNumberProperty("nanos", demoNanos)
                .writeName("checks").writeStartArray();
        for (DemoWorkload.Check c : checks) {
            json.writeStartObject().writeStringProperty("what", c.what()).writeBooleanProperty("passed", c.passed())
                    .writeStringProperty("outcome", c.outcome()).writeEndObject();
        }
        JsonOutput.finish(json.writeEndArray().writeEndObject().writeEndObject());
        out.println();
        out.flush();
    }

    private static void security(JsonGenerator json, SecurityState state) {
        json.writeStartObject();
        switch (state) {
            case SecurityState.Protected p -> json.writeStringProperty("state", "protected");
            case SecurityState.Tainted t -> {
                json.writeStringProperty("state", "tainted").writeStringProperty("code", ErrorCode.BOOT_TAINTED.code())
                        .writeName("switches").writeStartArray();
                t.switches().forEach(json::writeString);
                json.writeEndArray();
            }
            case SecurityState.Unprotected u -> json.writeStringProperty("state", "unprotected")
                    .writeStringProperty("mode", u.mode().spelling());
            case SecurityState.Insecure i -> json.writeStringProperty("state", "insecure")
                    .writeStringProperty("code", ErrorCode.BOOT_INSECURE.code())
                    .writeStringProperty("module", i.module()).writeStringProperty("errno", i.errno().name())
                    .writeNumberProperty("errnoValue", i.errno().code())
                    .writeStringProperty("reason", i.reason()).writeStringProperty("causeCode", i.code().code());
            case SecurityState.InitramfsRejected r -> json.writeStringProperty("state", "insecure")
                    .writeStringProperty("code", ErrorCode.BOOT_INITRAMFS_REJECTED.code())
                    .writeStringProperty("initramfs", r.initramfs()).writeStringProperty("reason", r.reason());
        }
        json.writeStringProperty("description", state.describe())
                .writeBooleanProperty("allowsProtectedVms", state.allowsProtectedVms()).writeEndObject();
    }

    /** {@code pkvm modinfo --json FILE}. */
    static void modinfo(PrintWriter out, ModuleFile module) {
        Modinfo info = module.modinfo();
        JsonGenerator json = JsonOutput.generator(out);
        json.writeStartObject().writeStringProperty("filename", module.path().toAbsolutePath().toString())
                .writeStringProperty("name", info.name()).writeStringProperty("version", info.version())
                .writeStringProperty("description", info.description())
                .writeStringProperty("author", info.author()).writeStringProperty("license", info.license())
                .writeStringProperty("apiVersion", info.apiVersion())
                .writeName("depends").writeStartArray();
        info.depends().forEach(json::writeString);
        json.writeEndArray().writeStringProperty("kmi", info.kmi().isEmpty() ? null : info.kmi()).writeName("el2ClassBytes");
        module.el2().ifPresentOrElse(j -> json.writeNumber(j.classBytes()), json::writeNull);
        JsonOutput.finish(json.writeStringProperty("sha256", module.sha256())
                .writeStringProperty("signature", module.signature().map(ModuleSignature::describe).orElse(null))
                .writeEndObject());
        out.println();
        out.flush();
    }

    /** {@code pkvm abi diff --json OLD NEW}. */
    static void abiDiff(PrintWriter out, AbiDiff diff) {
        JsonGenerator json = JsonOutput.generator(out);
        json.writeStartObject().writeNumberProperty("status", diff.status())
                .writeNumberProperty("breaking", diff.breaking().size())
                .writeNumberProperty("compatible", diff.compatible().size()).writeName("changes").writeStartArray();
        for (AbiChange c : diff.changes()) {
            json.writeStartObject().writeStringProperty("verdict", c.verdict().name())
                    .writeStringProperty("code", c.code().code()).writeStringProperty("kind", c.kind())
                    .writeStringProperty("name", c.name()).writeStringProperty("what", c.what())
                    .writeStringProperty("reason", c.reason()).writeEndObject();
        }
        JsonOutput.finish(json.writeEndArray().writeEndObject());
        out.println();
        out.flush();
    }

    /** {@code pkvm verify --json FILE}. */
    static void verify(PrintWriter out, VerifyReport report) {
        JsonGenerator json = JsonOutput.generator(out);
        json.writeStartObject().writeStringProperty("module", report.module()).writeBooleanProperty("passed", report.passed())
                .writeStringProperty("allowlist", report.allowlist()).writeName("checks").writeStartArray();
        for (VerifyReport.Step s : report.steps()) {
            json.writeStartObject().writeStringProperty("check", s.check()).writeBooleanProperty("ok", s.refusal() == null);
            if (s.refusal() == null) {
                json.writeStringProperty("detail", s.detail());
            } else {
                json.writeStringProperty("code", ErrorCode.ofLoad(s.refusal()).code())
                        .writeStringProperty("errno", s.refusal().errno().name())
                        .writeStringProperty("message", s.refusal().getMessage());
            }
            json.writeEndObject();
        }
        json.writeEndArray().writeName("violations").writeStartArray();
        for (Violation v : report.violations()) {
            json.writeStartObject().writeStringProperty("code", v.code().code())
                    .writeStringProperty("class", v.className()).writeStringProperty("method", v.method())
                    .writeNumberProperty("offset", v.offset()).writeNumberProperty("line", v.line())
                    .writeStringProperty("action", v.action()).writeStringProperty("referenced", v.referenced())
                    .writeStringProperty("reason", v.reason())
                    .writeStringProperty("message", v.toString()).writeEndObject();
        }
        JsonOutput.finish(json.writeEndArray().writeEndObject());
        out.println();
        out.flush();
    }
}
