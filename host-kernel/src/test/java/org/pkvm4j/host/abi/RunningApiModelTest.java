package org.pkvm4j.host.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.initramfs.JarImage;

/** The running API described at build time: the same model as describing its classes, and only for those classes. */
class RunningApiModelTest {
    @Test
    void theBundledDescriptionIsWhatTheRunningApisClassesDescribe() throws IOException {
        JarImage classes = RunningApi.runningClasses();
        String resource;
        try (InputStream in = RunningApi.class.getResourceAsStream(RunningApi.RESOURCE)) {
            assertNotNull(in, "the build writes " + RunningApi.RESOURCE + " (host-kernel's process-classes phase)");
            resource = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(RunningApi.text(classes), resource, "the description must be rebuilt with this org.pkvm4j.api");
        AbiModel described = RunningApi.describe(classes);
        AbiModel fromResource = RunningApi.fromResource(RunningApi.fingerprint(classes.entries()));
        assertNotNull(fromResource);
        assertEquals(described.dump(), fromResource.dump());
        assertEquals(described.dump(), RunningApi.read().dump());
        assertEquals(described.module(), fromResource.module());
        assertEquals(described.version(), fromResource.version());
    }

    @Test
    void anotherApiIsDescribedFromItsClasses() {
        Map<String, byte[]> entries = new LinkedHashMap<>(RunningApi.runningClasses().entries());
        String fingerprint = RunningApi.fingerprint(entries);
        String name = entries.keySet().iterator().next();
        byte[] changed = entries.get(name).clone();
        changed[changed.length - 1] ^= 1;
        entries.put(name, changed);
        String other = RunningApi.fingerprint(entries);
        assertNotEquals(fingerprint, other, "one changed byte changes the fingerprint");
        assertNull(RunningApi.fromResource(other));
        entries.remove(name);
        assertNull(RunningApi.fromResource(RunningApi.fingerprint(entries)), "one class less");
        assertNull(RunningApi.fromText("no fingerprint line\n", fingerprint));
    }

    @Test
    void theFingerprintCountsTheClassFilesItHashes() {
        Map<String, byte[]> entries = new LinkedHashMap<>(RunningApi.runningClasses().entries());
        long classes = entries.keySet().stream().filter(n -> n.endsWith(".class")).count();
        String fingerprint = RunningApi.fingerprint(entries);
        assertEquals(classes + "-", fingerprint.substring(0, fingerprint.indexOf('-') + 1));
        entries.put("META-INF/NOTICE.txt", new byte[] {1, 2, 3});
        entries.put("org/pkvm4j/api/readme.md", new byte[] {4});
        assertEquals(fingerprint, RunningApi.fingerprint(entries), "entries other than class files are not hashed, nor counted");
    }
}
