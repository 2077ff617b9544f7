package org.pkvm4j.host.cli;

import java.io.PrintWriter;
import java.util.List;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.abi.AbiChange;
import org.pkvm4j.host.abi.AbiDiff;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.Modinfo;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.initramfs.ModuleSignature;
import org.pkvm4j.host.json.JsonWriter;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.verify.Violation;

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
        JsonWriter json = new JsonWriter(out);
        json.beginObject().member("cmdline", r.cmdline()).member("result", ok ? "OK" : "FAILED");
        security(json.name("security"), r.security());
        json.member("deprivileged", r.deprivileged()).member("cpus", kernel.machine().nrCpus());
        json.name("panic");
        r.panic().ifPresentOrElse(p -> json.beginObject().member("code", ErrorCode.ofPanic(p).code())
                .member("cpu", p.cpu()).member("reason", p.reason()).member("detail", p.detail())
                .member("uptimeNanos", p.uptimeNanos()).endObject(), json::nullValue);
        json.member("totalNanos", r.totalNanos()).name("steps").beginArray();
        for (BootReport.Step s : r.steps()) {
            json.beginObject().member("number", s.number()).member("name", s.name()).member("nanos", s.nanos()).endObject();
        }
        json.endArray().name("modules").beginArray();
        for (LoadedModule m : kernel.lsmod()) {
            json.beginObject().member("name", m.name()).member("version", m.modinfo().version())
                    .member("sha256", m.sha256()).member("signature", m.describeSignature())
                    .member("el1Module", m.el1Module()).name("token");
            m.token().ifPresentOrElse(t -> json.value("0x%016x".formatted(t.hypVa())), json::nullValue);
            json.name("hvcs").beginArray();
            for (HvcNumber h : m.hvcs()) {
                json.beginObject().member("id", h.id()).member("functionId", "0x%X".formatted(h.smcccFunctionId())).endObject();
            }
            json.endArray().member("loadNanos", m.loadNanos()).endObject();
        }
        json.endArray().name("lateLoads").beginArray();
        for (BootReport.LateLoad l : r.lateLoads()) {
            json.beginObject().member("module", l.module()).name("errno");
            l.errno().ifPresentOrElse(e -> json.value(e.name()), json::nullValue);
            json.member("message", l.message()).endObject();
        }
        json.endArray().member("initramfs", r.initramfs()).name("measurements").beginObject();
        r.measurements().writeJson(json);
        json.endObject().name("demo").beginObject().member("nanos", demoNanos).name("checks").beginArray();
        for (DemoWorkload.Check c : checks) {
            json.beginObject().member("what", c.what()).member("passed", c.passed()).member("outcome", c.outcome()).endObject();
        }
        json.endArray().endObject().endObject().finish();
        out.println();
        out.flush();
    }

    private static void security(JsonWriter json, SecurityState state) {
        json.beginObject();
        switch (state) {
            case SecurityState.Protected p -> json.member("state", "protected");
            case SecurityState.Unprotected u -> json.member("state", "unprotected").member("mode", u.mode().spelling());
            case SecurityState.Insecure i -> json.member("state", "insecure").member("code", ErrorCode.BOOT_INSECURE.code())
                    .member("module", i.module()).member("errno", i.errno().name()).member("errnoValue", i.errno().code())
                    .member("reason", i.reason()).member("causeCode", i.code().code());
            case SecurityState.InitramfsRejected r -> json.member("state", "insecure")
                    .member("code", ErrorCode.BOOT_INITRAMFS_REJECTED.code())
                    .member("initramfs", r.initramfs()).member("reason", r.reason());
        }
        json.member("description", state.describe()).member("allowsProtectedVms", state.allowsProtectedVms()).endObject();
    }

    /** {@code pkvm modinfo --json FILE}. */
    static void modinfo(PrintWriter out, ModuleFile module) {
        Modinfo info = module.modinfo();
        JsonWriter json = new JsonWriter(out);
        json.beginObject().member("filename", module.path().toAbsolutePath().toString())
                .member("name", info.name()).member("version", info.version()).member("description", info.description())
                .member("author", info.author()).member("license", info.license()).member("apiVersion", info.apiVersion())
                .name("depends").beginArray();
        info.depends().forEach(json::value);
        json.endArray().name("el2ClassBytes");
        module.el2().ifPresentOrElse(j -> json.value(j.classBytes()), json::nullValue);
        json.member("sha256", module.sha256())
                .member("signature", module.signature().map(ModuleSignature::describe).orElse(null)).endObject().finish();
        out.println();
        out.flush();
    }

    /** {@code pkvm abi diff --json OLD NEW}. */
    static void abiDiff(PrintWriter out, AbiDiff diff) {
        JsonWriter json = new JsonWriter(out);
        json.beginObject().member("status", diff.status()).member("breaking", diff.breaking().size())
                .member("compatible", diff.compatible().size()).name("changes").beginArray();
        for (AbiChange c : diff.changes()) {
            json.beginObject().member("verdict", c.verdict().name()).member("code", c.code().code()).member("kind", c.kind())
                    .member("name", c.name()).member("what", c.what()).member("reason", c.reason()).endObject();
        }
        json.endArray().endObject().finish();
        out.println();
        out.flush();
    }

    /** One check of {@code pkvm verify}: passed, or refused with the loader's exception. */
    record VerifyStep(String check, String detail, PkvmException refusal) {
    }

    /** {@code pkvm verify --json FILE}. */
    static void verify(PrintWriter out, String module, List<VerifyStep> steps, List<Violation> violations, String policy,
            boolean passed) {
        JsonWriter json = new JsonWriter(out);
        json.beginObject().member("module", module).member("passed", passed).member("policy", policy).name("checks").beginArray();
        for (VerifyStep s : steps) {
            json.beginObject().member("check", s.check()).member("ok", s.refusal() == null);
            if (s.refusal() == null) {
                json.member("detail", s.detail());
            } else {
                json.member("code", ErrorCode.ofLoad(s.refusal()).code()).member("errno", s.refusal().errno().name())
                        .member("message", s.refusal().getMessage());
            }
            json.endObject();
        }
        json.endArray().name("violations").beginArray();
        for (Violation v : violations) {
            json.beginObject().member("code", v.code().code()).member("class", v.className()).member("method", v.method())
                    .member("action", v.action()).member("referenced", v.referenced()).member("reason", v.reason())
                    .member("message", v.toString()).endObject();
        }
        json.endArray().endObject().finish();
        out.println();
        out.flush();
    }
}
