package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.BootImage;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.Rootfs;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Devices booted from a {@link BootImage} read once against devices booted from the same files,
 * boot after boot: the same security state, modules, signatures, initramfs line and measurement
 * log, for good files, a corrupt one, a missing one, injected faults, a verified image and one
 * whose signature does not verify (docs/adr/0026-boot-image-read-once.md).
 */
class BootImageIT {
    private static final String LISTED = "kvm-arm.mode=protected kvm-arm.protected_modules=";
    private static final KeyPair KEY = ImageKeys.generate();
    private static final KeyPair OTHER_KEY = ImageKeys.generate();

    private static Path hypervisor() {
        return Path.of(System.getProperty(BootConfig.HYPERVISOR_PROPERTY));
    }

    /** What a boot came to, as far as the files it booted from decide it: everything but timings. */
    private static List<String> outcome(HostKernel kernel) {
        BootReport r = kernel.bootReport();
        List<String> lines = new ArrayList<>();
        lines.add("security " + r.security());
        lines.add("deprivileged " + r.deprivileged() + " panic " + r.panic().isPresent());
        lines.add("initramfs " + r.initramfs());
        for (LoadedModule m : r.modules()) {
            lines.add("module " + m.name() + " " + m.sha256() + " " + m.describeSignature() + " " + m.modinfo());
        }
        lines.add("late " + r.lateLoads());
        lines.add("log " + r.measurements().entries());
        return lines;
    }

    /** Boots {@code config} from its files and three times from {@code image}; all four alike. */
    private static List<String> assertBootsAlike(BootConfig fromFiles, BootImage image) {
        List<String> expected = outcome(HostKernel.boot(fromFiles));
        for (int boot = 1; boot <= 3; boot++) {
            BootConfig fromImage = BootConfig.of(fromFiles.cmdline(), image).withFaults(fromFiles.faults());
            assertEquals(expected, outcome(HostKernel.boot(fromImage)), "boot " + boot + " from the image");
        }
        return expected;
    }

    /** Scenario: a directory with three good modules and a corrupt file; good, corrupt, missing, faulted. */
    @Test
    void aDirectoryBootsFromMemoryAsFromItsFiles() throws IOException {
        Path dir = Devices.newInitramfs();
        List.of("pkvm_driver", "kvstore", "percpu_counter").forEach(m -> Devices.addBundled(dir, m));
        Files.write(dir.resolve("corrupt.jar"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        BootImage image = BootImage.load(Rootfs.populate(dir), hypervisor());

        List<String> good = assertBootsAlike(BootConfig.of(LISTED + "pkvm_driver,kvstore,percpu_counter", dir), image);
        assertTrue(good.getFirst().contains("Protected"), good.toString());
        assertEquals(3, good.stream().filter(l -> l.startsWith("module ")).count());

        List<String> corrupt = assertBootsAlike(BootConfig.of(LISTED + "pkvm_driver,corrupt", dir), image);
        assertTrue(corrupt.getFirst().contains("ENOEXEC") && corrupt.getFirst().contains("not a jar"), corrupt.getFirst());

        List<String> missing = assertBootsAlike(BootConfig.of(LISTED + "pkvm_driver,ghost", dir), image);
        assertTrue(missing.getFirst().contains("ENOENT"), missing.getFirst());

        List<String> faulted = assertBootsAlike(BootConfig.of(LISTED + "pkvm_driver,kvstore,percpu_counter", dir)
                .withFaults(FaultPlan.of(new BootFault.El1InitFails("kvstore", Errno.ENODEV),
                        new BootFault.LoadsLate("percpu_counter"))), image);
        assertTrue(faulted.getFirst().contains("ENODEV"), faulted.getFirst());
    }

    /** Scenario: a signed image with its key, with another key, and without a key. */
    @Test
    void aSignedImageBootsFromMemoryAsFromItsFile() {
        Path signed = SignedImages.image(Optional.of(KEY), "pkvm_driver", "kvstore");
        String cmdline = LISTED + "pkvm_driver,kvstore";

        BootImage verified = BootImage.load(Rootfs.populate(signed, Optional.of(KEY.getPublic())), hypervisor());
        List<String> good = assertBootsAlike(BootConfig.of(cmdline, signed)
                .withTrustedKey(ImageKeys.publicKeyFile(SignedImages.keyFiles(KEY))), verified);
        assertTrue(good.stream().anyMatch(l -> l.startsWith("module kvstore") && l.contains("ed25519")), good.toString());

        BootImage wrongKey = BootImage.load(Rootfs.populate(signed, Optional.of(OTHER_KEY.getPublic())), hypervisor());
        List<String> rejected = assertBootsAlike(BootConfig.of(cmdline, signed)
                .withTrustedKey(ImageKeys.publicKeyFile(SignedImages.keyFiles(OTHER_KEY))), wrongKey);
        assertTrue(rejected.getFirst().contains("InitramfsRejected") && rejected.getFirst().contains("wrong key"),
                rejected.getFirst());

        assertBootsAlike(BootConfig.of(cmdline, signed), BootImage.load(Rootfs.populate(signed, Optional.empty()), hypervisor()));
    }

    /** Scenario: a boot image decided its trust policy when its rootfs was populated: no key file on top. */
    @Test
    void aBootImageTakesNoKeyFile() {
        Path dir = Devices.newInitramfs();
        Devices.addBundled(dir, "pkvm_driver");
        BootImage image = BootImage.load(Rootfs.populate(dir), hypervisor());
        BootConfig config = BootConfig.of(LISTED + "pkvm_driver", image);
        assertInstanceOf(SecurityState.Protected.class, HostKernel.boot(config).securityState());
        assertThrows(IllegalArgumentException.class,
                () -> config.withTrustedKey(ImageKeys.publicKeyFile(SignedImages.keyFiles(KEY))));
    }
}
