package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.attest.Measurement;
import org.pkvm4j.host.attest.MeasurementLog;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.ImageManifest;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * The same module files booted from a signed image and from a plain directory, alternately, in
 * one JVM: the per-JVM load cache (ADR 0007) is keyed by the files' digests, which are equal
 * here, so a cache that kept anything a boot's initramfs decides would show up as a signature,
 * or a missing measurement, carried from one boot into the next.
 */
class SignedAndUnsignedBootsIT {
    private static final List<String> MODULES = List.of("pkvm_driver", "kvstore", "percpu_counter");
    private static final String CMDLINE = "kvm-arm.mode=protected kvm-arm.protected_modules=" + String.join(",", MODULES);
    private static final KeyPair KEY = ImageKeys.generate();
    private static final Path PUBLIC_KEY = ImageKeys.publicKeyFile(SignedImages.keyFiles(KEY));

    private static HostKernel bootSigned(Path image) {
        return HostKernel.boot(BootConfig.of(CMDLINE, image).withTrustedKey(PUBLIC_KEY));
    }

    private static HostKernel bootDirectory(Path dir) {
        return Devices.boot(CMDLINE, dir);
    }

    /**
     * Scenario: signed, unsigned, signed, unsigned, ... Each boot's modules carry the signature of
     * their own initramfs (the image's key, or none), the digests are the files' in both, and each
     * boot's log measures its own initramfs and every module it read, in load order, before the
     * freeze.
     */
    @Test
    void eachBootKeepsItsOwnSignatureAndMeasuresEveryModuleItReads() throws IOException {
        Path image = SignedImages.image(Optional.of(KEY), MODULES.toArray(String[]::new));
        Path dir = Devices.newInitramfs();
        MODULES.forEach(m -> Devices.addBundled(dir, m));
        String fingerprint = ImageKeys.fingerprint(KEY.getPublic());

        for (int round = 0; round < 3; round++) {
            for (boolean signed : new boolean[] {true, false}) {
                String what = (signed ? "signed" : "unsigned") + " boot, round " + round;
                HostKernel kernel = signed ? bootSigned(image) : bootDirectory(dir);

                assertInstanceOf(SecurityState.Protected.class, kernel.securityState(), what);
                List<LoadedModule> loaded = kernel.lsmod();
                assertEquals(MODULES, loaded.stream().map(LoadedModule::name).toList(), what);
                for (LoadedModule m : loaded) {
                    assertEquals(sha256(SignedImages.bundled(m.name())), m.sha256(), what + ": " + m.name());
                    if (signed) {
                        assertEquals(fingerprint, m.signature().orElseThrow().keyFingerprint(), what + ": " + m.name());
                    } else {
                        assertTrue(m.signature().isEmpty(), what + ": " + m.name() + " has " + m.describeSignature());
                        assertEquals("none", m.describeSignature(), what);
                    }
                }

                MeasurementLog log = kernel.bootReport().measurements();
                assertEquals(signed ? Measurement.INITRAMFS_IMAGE : Measurement.INITRAMFS_DIRECTORY, log.initramfs().kind(), what);
                assertEquals((signed ? image : dir).toAbsolutePath().normalize().toString(), log.initramfs().file(), what);
                List<Measurement> before = log.beforeFreeze();
                assertEquals(MODULES, before.stream().map(Measurement::name).toList(), what);
                for (Measurement m : before) {
                    assertEquals(sha256(SignedImages.bundled(m.name())), m.sha256(), what + ": " + m.name());
                    assertEquals(m.name() + ".jar", m.file(), what);
                }
            }
        }
    }

    private static String sha256(Path file) throws IOException {
        return ImageManifest.sha256(Files.readAllBytes(file));
    }
}
