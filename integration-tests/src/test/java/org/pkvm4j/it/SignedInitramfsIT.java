package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.ImageManifest;
import org.pkvm4j.host.initramfs.InitramfsImage;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.host.loader.LoadedModule;

/** Booting real devices from signed initramfs images: modules inherit the image's signature. */
class SignedInitramfsIT {
    private static final String CMDLINE = "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore";
    private static final KeyPair KEY = ImageKeys.generate();
    private static final Path KEY_FILE = SignedImages.keyFiles(KEY);
    private static final Path PUBLIC_KEY = ImageKeys.publicKeyFile(KEY_FILE);

    private static HostKernel boot(Path initramfs, Optional<Path> key) {
        BootConfig config = BootConfig.of(CMDLINE, initramfs);
        return HostKernel.boot(key.map(config::withTrustedKey).orElse(config));
    }

    private static Path signedImage() {
        return SignedImages.image(Optional.of(KEY), "pkvm_driver", "kvstore", "hello_el1");
    }

    /**
     * Scenario: the image is signed by the trusted key. Both protected modules load from it, each
     * recorded as signed by that key; the device is secure and a protected VM starts.
     */
    @Test
    void protectedModulesLoadFromAVerifiedImageAndInheritItsSignature() {
        HostKernel kernel = boot(signedImage(), Optional.of(PUBLIC_KEY));

        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertTrue(kernel.isDeprivileged());
        List<LoadedModule> modules = kernel.lsmod();
        assertEquals(List.of("pkvm_driver", "kvstore"), modules.stream().map(LoadedModule::name).toList());
        for (LoadedModule m : modules) {
            assertEquals(ImageKeys.fingerprint(KEY.getPublic()), m.signature().orElseThrow().keyFingerprint());
            assertTrue(m.describeSignature().startsWith("initramfs (ed25519, key fingerprint sha256:"));
        }
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("signature verified (ed25519")));
        KvmVm vm = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        assertTrue(vm.isProtected());
        vm.destroy();
    }

    /**
     * Scenario: one bit of the image flipped, in the header, the manifest, a module's payload or
     * the signature. Each time the initramfs is rejected: no protected module loads, the kernel
     * still deprivileges, the system is insecure, no protected VM starts and no module at all is
     * served from the image.
     */
    @Test
    void aTamperedImageRefusesTheProtectedModulesAndLeavesTheDeviceInsecure() throws IOException {
        int manifestStart = InitramfsImage.HEADER_SIZE;
        int payloadStart = manifestStart + ByteBuffer.wrap(Files.readAllBytes(signedImage())).getInt(12);
        for (int offset : new int[] {17, manifestStart + 40, payloadStart + 100, -3}) {
            Path image = SignedImages.flip(signedImage(), offset);
            HostKernel kernel = boot(image, Optional.of(PUBLIC_KEY));

            SecurityState.InitramfsRejected rejected = assertInstanceOf(SecurityState.InitramfsRejected.class,
                    kernel.securityState(), "offset " + offset);
            assertEquals(image.toString(), rejected.initramfs());
            assertTrue(kernel.isDeprivileged(), "the kernel still deprivileges");
            assertTrue(kernel.lsmod().isEmpty());
            assertEquals(Errno.EPERM, assertThrows(PkvmException.class,
                    () -> kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED)).errno());
            assertEquals(Errno.EPERM, assertThrows(PkvmException.class, () -> kernel.modprobe("hello_el1")).errno());
            assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("REJECTED: " + rejected.reason())),
                    "dmesg says why");
        }
    }

    /** Scenario: a valid image signed by another key, an unsigned image, a directory: each rejected with its reason. */
    @Test
    void aWrongKeyAnUnsignedImageOrADirectoryIsRejectedWithItsReason() {
        KeyPair other = ImageKeys.generate();
        Path otherKey = ImageKeys.publicKeyFile(SignedImages.keyFiles(other));
        assertTrue(rejection(boot(signedImage(), Optional.of(otherKey))).endsWith("(wrong key)"));
        Path unsigned = SignedImages.image(Optional.empty(), "pkvm_driver", "kvstore");
        assertTrue(rejection(boot(unsigned, Optional.of(PUBLIC_KEY))).startsWith("the image is unsigned"));
        Path dir = Devices.newInitramfs();
        Devices.addBundled(dir, "pkvm_driver");
        Devices.addBundled(dir, "kvstore");
        assertTrue(rejection(boot(dir, Optional.of(PUBLIC_KEY))).startsWith("a directory carries no signature"));

        HostKernel withoutKey = boot(unsigned, Optional.empty());
        assertInstanceOf(SecurityState.Protected.class, withoutKey.securityState(), "no key, no signature required");
        assertTrue(withoutKey.lsmod().stream().allMatch(m -> m.signature().isEmpty()));
        assertEquals("none", withoutKey.lsmod().getFirst().describeSignature());
    }

    /**
     * Scenario: after the boot verified the image, the file on disk is replaced. A later modprobe
     * still loads the verified bytes: the module's digest is the original file's.
     */
    @Test
    void aFileModifiedAfterVerificationCannotSlipIn() throws IOException {
        Path image = signedImage();
        HostKernel kernel = boot(image, Optional.of(PUBLIC_KEY));
        Files.write(image, new byte[] {1, 2, 3});

        LoadedModule hello = kernel.modprobe("hello_el1");
        assertEquals(ImageManifest.sha256(Files.readAllBytes(SignedImages.bundled("hello_el1"))), hello.sha256());
        assertTrue(hello.signature().isPresent());
    }

    /** Scenario: a key file that is not an Ed25519 public key is a configuration error, before any hardware. */
    @Test
    void anUnusableKeyFileIsAConfigurationError() {
        var e = assertThrows(org.pkvm4j.host.diag.BootConfigException.class,
                () -> boot(signedImage(), Optional.of(KEY_FILE)));
        assertTrue(e.getMessage().contains("holds a private key"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    /**
     * Scenario: the dist build packs the bundled initramfs into a signed image with a test key it
     * generates; {@code pkvm boot} of that image with that key runs the whole demo and exits 0.
     */
    @Test
    void theDistImageBootsWithTheBuildsTestKey() {
        Path imageDir = Path.of(System.getProperty("pkvm4j.it.initramfs")).getParent();
        Path image = imageDir.resolve("initramfs.img");
        Path key = imageDir.getParent().resolve("test-key/initramfs-test.pub");
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = org.pkvm4j.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                "boot", "--initramfs", image.toString(), "--key", key.toString(), "--no-dmesg");
        assertEquals(0, code, err + out.toString());
        assertTrue(out.toString().contains("signature verified (ed25519"), out::toString);
        assertTrue(out.toString().contains("result         OK"), out::toString);
    }

    private static String rejection(HostKernel kernel) {
        return assertInstanceOf(SecurityState.InitramfsRejected.class, kernel.securityState()).reason();
    }
}
