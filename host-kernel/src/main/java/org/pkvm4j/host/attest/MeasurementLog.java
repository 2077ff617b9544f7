package org.pkvm4j.host.attest;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JsonGenerator;

/**
 * The measured-boot log: the initramfs first, then every module file in the order the loader read
 * it, each with its SHA-256, and where the freeze (deprivilege) fell.
 *
 * <p>Kernel counterpart: IMA's measurement list, extended before the file is used: a module is
 * measured when its bytes are read, before any of its code runs, so a module whose init then
 * failed is measured too (it ran at EL1). The log is append-only and thread-safe; entries after the
 * freeze are kept apart so a verifier can check what ran with the host's privileges.
 */
public final class MeasurementLog {
    private final List<Measurement> entries = new ArrayList<>();
    private boolean frozen;

    /** A log whose first entry is the initramfs. */
    public MeasurementLog(String kind, String path, String sha256) {
        entries.add(new Measurement(0, kind, path, path, sha256, false));
    }

    /** Appends a module file's digest. */
    public synchronized void measureModule(String module, String file, String sha256) {
        entries.add(new Measurement(entries.size(), Measurement.MODULE, module, file, sha256, frozen));
    }

    /**
     * Records that {@code switchText} (for example {@code pkvm.el2_verify=0}) tainted the device, with
     * the digest of the switch as written, so that a verifier replaying the log sees it.
     */
    public synchronized void taint(String switchText) {
        entries.add(new Measurement(entries.size(), Measurement.TAINT, switchText, "PKVM-BOOT-TAINTED",
                org.pkvm4j.host.initramfs.ImageManifest.sha256(switchText.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                frozen));
    }

    /** The switches that tainted the device, in order; empty for an untainted one. */
    public synchronized List<String> taints() {
        List<String> result = new ArrayList<>();
        for (Measurement m : entries) {
            if (m.kind().equals(Measurement.TAINT)) {
                result.add(m.name());
            }
        }
        return result;
    }

    /** Marks the freeze: what is measured from now on is listed after it. Idempotent. */
    public synchronized void freeze() {
        frozen = true;
    }

    /** Whether the freeze happened. */
    public synchronized boolean isFrozen() {
        return frozen;
    }

    /** The initramfs entry. */
    public synchronized Measurement initramfs() {
        return entries.getFirst();
    }

    /** The module files measured before the freeze, in order. */
    public synchronized List<Measurement> beforeFreeze() {
        return modules(false);
    }

    /** The module files measured after the freeze, in order. */
    public synchronized List<Measurement> afterFreeze() {
        return modules(true);
    }

    /** Every entry, in order. */
    public synchronized List<Measurement> entries() {
        return List.copyOf(entries);
    }

    /**
     * Writes the log as the members of an open JSON object: {@code "algorithm"}, {@code
     * "initramfs"}, {@code "beforeFreeze"}, {@code "afterFreeze"} and {@code "taints"}, each module with
     * its index, name, file and digest, each taint with its switch, so a verifier can replay it against the files.
     */
    public synchronized void writeJson(JsonGenerator json) {
        json.writeStringProperty("algorithm", "sha256");
        Measurement initramfs = entries.getFirst();
        json.writeName("initramfs").writeStartObject().writeStringProperty("kind", initramfs.kind())
                .writeStringProperty("path", initramfs.file())
                .writeStringProperty("sha256", initramfs.sha256()).writeEndObject();
        json.writeName("beforeFreeze");
        writeModules(json, modules(false));
        json.writeName("afterFreeze");
        writeModules(json, modules(true));
        json.writeName("taints").writeStartArray();
        for (Measurement m : entries) {
            if (m.kind().equals(Measurement.TAINT)) {
                json.writeStartObject().writeNumberProperty("index", m.index()).writeStringProperty("switch", m.name())
                        .writeStringProperty("code", m.file()).writeStringProperty("sha256", m.sha256()).writeEndObject();
            }
        }
        json.writeEndArray();
    }

    private static void writeModules(JsonGenerator json, List<Measurement> modules) {
        json.writeStartArray();
        for (Measurement m : modules) {
            json.writeStartObject().writeNumberProperty("index", m.index()).writeStringProperty("module", m.name())
                    .writeStringProperty("file", m.file())
                    .writeStringProperty("sha256", m.sha256()).writeEndObject();
        }
        json.writeEndArray();
    }

    private List<Measurement> modules(boolean after) {
        List<Measurement> result = new ArrayList<>();
        for (Measurement m : entries) {
            if (m.kind().equals(Measurement.MODULE) && m.afterFreeze() == after) {
                result.add(m);
            }
        }
        return result;
    }
}
