package org.pkvm4j.cli;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.trace.JsonOutput;
import tools.jackson.core.JsonGenerator;

/**
 * {@code pkvm boot --attestation FILE}: the measured-boot log as JSON, for a verifier to replay
 * against the files it expects. Format {@value #FORMAT}:
 *
 * <pre>
 * {"format":"pkvm4j-attestation-1","cmdline":"...","security":"protected: ...","allowsProtectedVms":true,
 *  "deprivileged":true,"initramfsStatus":"image ... signature verified: ...",
 *  "measurements":{"algorithm":"sha256","initramfs":{"kind":"initramfs-image","path":"...","sha256":"..."},
 *                  "beforeFreeze":[{"index":1,"module":"pkvm_driver","file":"pkvm_driver.jar","sha256":"..."}],
 *                  "afterFreeze":[...]},
 *  "modules":[{"name":"pkvm_driver","sha256":"...","pkvm":true,"sig":"initramfs (ed25519, ...)"}]}
 * </pre>
 */
final class AttestationExport {
    /** The format name and version. */
    static final String FORMAT = "pkvm4j-attestation-1";

    private AttestationExport() {
    }

    static void write(Path file, HostKernel kernel) {
        BootReport r = kernel.bootReport();
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            JsonGenerator json = JsonOutput.generator(out);
            json.writeStartObject().writeStringProperty("format", FORMAT).writeStringProperty("cmdline", r.cmdline())
                    .writeStringProperty("security", r.security().describe())
                    .writeBooleanProperty("allowsProtectedVms", r.security().allowsProtectedVms())
                    .writeBooleanProperty("deprivileged", r.deprivileged())
                    .writeStringProperty("initramfsStatus", r.initramfs());
            json.writeName("measurements").writeStartObject();
            r.measurements().writeJson(json);
            json.writeEndObject();
            json.writeName("modules").writeStartArray();
            for (LoadedModule m : kernel.lsmod()) {
                json.writeStartObject().writeStringProperty("name", m.name()).writeStringProperty("sha256", m.sha256())
                        .writeBooleanProperty("pkvm", m.isPkvmModule())
                        .writeStringProperty("sig", m.describeSignature()).writeEndObject();
            }
            JsonOutput.finish(json.writeEndArray().writeEndObject());
            out.write('\n');
        } catch (IOException e) {
            throw new BootConfigException("cannot write the attestation log " + file + ": " + e.getMessage(), e);
        }
    }
}
