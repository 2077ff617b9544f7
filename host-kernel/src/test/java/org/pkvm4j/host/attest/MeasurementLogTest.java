package org.pkvm4j.host.attest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.trace.JsonOutput;
import tools.jackson.core.JsonGenerator;

class MeasurementLogTest {
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);
    private static final String C = "c".repeat(64);

    @Test
    void entriesKeepTheirOrderAndTheFreezeSplitsThem() {
        MeasurementLog log = new MeasurementLog(Measurement.INITRAMFS_IMAGE, "/boot/initramfs.img", A);
        log.measureModule("pkvm_driver", "pkvm_driver.jar", B);
        assertFalse(log.isFrozen());
        log.freeze();
        log.freeze();
        log.measureModule("hello_el1", "hello_el1.jar", C);

        assertTrue(log.isFrozen());
        assertEquals(new Measurement(0, Measurement.INITRAMFS_IMAGE, "/boot/initramfs.img", "/boot/initramfs.img", A, false),
                log.initramfs());
        assertEquals(List.of(new Measurement(1, Measurement.MODULE, "pkvm_driver", "pkvm_driver.jar", B, false)),
                log.beforeFreeze());
        assertEquals(List.of(new Measurement(2, Measurement.MODULE, "hello_el1", "hello_el1.jar", C, true)),
                log.afterFreeze());
        assertEquals(3, log.entries().size());
    }

    @Test
    void theJsonFormIsStable() {
        MeasurementLog log = new MeasurementLog(Measurement.INITRAMFS_DIRECTORY, "/i\"d", A);
        log.measureModule("kvstore", "kvstore.jar", B);
        log.freeze();
        StringWriter out = new StringWriter();
        JsonGenerator json = JsonOutput.generator(out).writeStartObject();
        log.writeJson(json);
        JsonOutput.finish(json.writeEndObject());

        assertEquals("{\"algorithm\":\"sha256\",\"initramfs\":{\"kind\":\"initramfs-directory\",\"path\":\"/i\\\"d\","
                + "\"sha256\":\"" + A + "\"},\"beforeFreeze\":[{\"index\":1,\"module\":\"kvstore\",\"file\":\"kvstore.jar\","
                + "\"sha256\":\"" + B + "\"}],\"afterFreeze\":[],\"taints\":[]}", out.toString());
    }

    @Test
    void aTaintIsMeasuredWithTheDigestOfItsSwitch() {
        MeasurementLog log = new MeasurementLog(Measurement.INITRAMFS_DIRECTORY, "/i", A);
        log.taint("pkvm.el2_verify=0");
        log.measureModule("kvstore", "kvstore.jar", B);
        assertEquals(List.of("pkvm.el2_verify=0"), log.taints());
        assertEquals(new Measurement(1, Measurement.TAINT, "pkvm.el2_verify=0", "PKVM-BOOT-TAINTED",
                org.pkvm4j.host.initramfs.ImageManifest.sha256("pkvm.el2_verify=0".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                false), log.entries().get(1));
        assertEquals(1, log.beforeFreeze().size(), "a taint is no module");
        StringWriter out = new StringWriter();
        JsonGenerator json = JsonOutput.generator(out);
        json.writeStartObject();
        log.writeJson(json);
        json.writeEndObject();
        JsonOutput.finish(json);
        assertTrue(out.toString().strip().endsWith("\"taints\":[{\"index\":1,\"switch\":\"pkvm.el2_verify=0\",\"code\":"
                + "\"PKVM-BOOT-TAINTED\",\"sha256\":\"" + log.entries().get(1).sha256() + "\"}]}"), out.toString());
    }
}
