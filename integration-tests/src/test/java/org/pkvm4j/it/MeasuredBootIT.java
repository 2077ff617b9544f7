package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.attest.Measurement;
import org.pkvm4j.host.attest.MeasurementLog;
import org.pkvm4j.cli.Main;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.ImageManifest;

/** Measured boot: the attestation log replayed against the files, the way a verifier would. */
class MeasuredBootIT {
    private static final Pattern ENTRY = Pattern.compile(
            "\\{\"index\":(\\d+),\"module\":\"([^\"]+)\",\"file\":\"([^\"]+)\",\"sha256\":\"([0-9a-f]{64})\"}");

    private record Entry(int index, String module, String file, String sha256) {
    }

    private static List<Entry> entries(String json, String array) {
        int from = json.indexOf("\"" + array + "\":[");
        String part = json.substring(from, json.indexOf(']', from));
        List<Entry> entries = new ArrayList<>();
        Matcher m = ENTRY.matcher(part);
        while (m.find()) {
            entries.add(new Entry(Integer.parseInt(m.group(1)), m.group(2), m.group(3), m.group(4)));
        }
        return entries;
    }

    private static String sha256(Path file) throws IOException {
        return ImageManifest.sha256(Files.readAllBytes(file));
    }

    /**
     * Scenario: {@code pkvm boot --attestation} on a signed image. The log names the image's digest
     * and, before the freeze, the two protected modules in load order; the demo's late loads come
     * after it. Every digest is recomputed from the files.
     */
    @Test
    void theAttestationLogMatchesTheFilesAndEndsTheTrustedListAtTheFreeze() throws IOException {
        KeyPair key = ImageKeys.generate();
        Path pub = ImageKeys.publicKeyFile(SignedImages.keyFiles(key));
        Path image = SignedImages.image(Optional.of(key), "pkvm_driver", "kvstore", "percpu_counter", "hello_el1");
        Path log = image.resolveSibling("attestation.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "boot", "--initramfs", image.toString(),
                "--key", pub.toString(), "--attestation", log.toString());
        assertEquals(0, code, err + out.toString());

        String json = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"format\":\"pkvm4j-attestation-1\""), json);
        assertTrue(json.contains("\"initramfs\":{\"kind\":\"initramfs-image\",\"path\":\"" + image + "\",\"sha256\":\""
                + sha256(image) + "\"}"), json);
        List<Entry> before = entries(json, "beforeFreeze");
        List<Entry> after = entries(json, "afterFreeze");
        assertEquals(List.of("pkvm_driver", "kvstore"), before.stream().map(Entry::module).toList());
        assertEquals(List.of(1, 2), before.stream().map(Entry::index).toList());
        assertTrue(after.stream().map(Entry::module).toList().containsAll(List.of("percpu_counter", "hello_el1")), json);
        for (Entry e : Stream.concat(before.stream(), after.stream()).toList()) {
            assertEquals(sha256(SignedImages.bundled(e.module())), e.sha256(), e.module());
            assertEquals(e.module() + ".jar", e.file());
        }
        assertTrue(before.stream().noneMatch(b -> after.stream().anyMatch(a -> a.module().equals(b.module()))),
                "a module loaded after the freeze is not a pre-freeze measurement");
        assertTrue(json.contains("\"sig\":\"initramfs (ed25519, key fingerprint sha256:"), json);

        String report = out.toString();
        assertTrue(report.contains("measured       sha256 initramfs " + sha256(image).substring(0, 16)), report);
        assertTrue(report.contains("before freeze: pkvm_driver " + before.get(0).sha256().substring(0, 16)), report);
        assertTrue(report.contains("sig: initramfs (ed25519, key fingerprint"), report);
    }

    /**
     * Scenario: a listed module whose EL2 init fails. Its EL1 code ran before the freeze, so it is
     * measured there even though it is not loaded; the device is insecure.
     */
    @Test
    void aModuleWhoseInitFailedIsStillMeasuredBeforeTheFreeze() throws IOException {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        String failing = Devices.addFixture(initramfs, "el2-init-fails");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + failing,
                initramfs);

        assertFalse(kernel.securityState().allowsProtectedVms());
        List<Measurement> before = kernel.bootReport().measurements().beforeFreeze();
        assertEquals(List.of("pkvm_driver", failing), before.stream().map(Measurement::name).toList());
        assertEquals(sha256(initramfs.resolve(failing + ".jar")), before.get(1).sha256());
        assertEquals(List.of("pkvm_driver"), kernel.lsmod().stream().map(m -> m.name()).toList());
    }

    /**
     * Scenario: a directory initramfs is measured by its manifest: the sorted lines {@code file NAME
     * SIZE sha256:HEX} under the format line, rebuilt here from the files. A module loaded after
     * the boot is measured after the freeze only.
     */
    @Test
    void aDirectoryIsMeasuredByItsManifestAndLateLoadsComeAfterTheFreeze() throws IOException {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        Path dir = Path.of(kernel.bootReport().measurements().initramfs().file());
        Devices.addBundled(dir, "hello_el1");
        kernel.moduleFile("hello_el1"); // modinfo only looks: not a measurement
        kernel.modprobe("hello_el1");

        MeasurementLog log = kernel.bootReport().measurements();
        assertEquals(Measurement.INITRAMFS_DIRECTORY, log.initramfs().kind());
        String manifest = "pkvm4j-initramfs-manifest 1\nfile pkvm_driver.jar " + Files.size(dir.resolve("pkvm_driver.jar"))
                + " sha256:" + sha256(dir.resolve("pkvm_driver.jar")) + "\n";
        assertEquals(ImageManifest.sha256(manifest.getBytes(StandardCharsets.US_ASCII)), log.initramfs().sha256(),
                "the digest of the directory as it was at mount");
        assertEquals(List.of("pkvm_driver"), log.beforeFreeze().stream().map(Measurement::name).toList());
        assertEquals(List.of("hello_el1"), log.afterFreeze().stream().map(Measurement::name).toList());
        assertEquals(sha256(dir.resolve("hello_el1.jar")), log.afterFreeze().getFirst().sha256());
        assertFalse(log.beforeFreeze().stream().anyMatch(Measurement::afterFreeze));
    }
}
