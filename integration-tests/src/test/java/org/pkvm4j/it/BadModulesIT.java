package org.pkvm4j.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Every bad module a vendor can ship gets a clear error and leaves the device consistent: the
 * failing module is not loaded, none of its handlers answers, none of its devices exists, no EL2
 * image is left placed, the system is insecure and says which module failed and why.
 */
class BadModulesIT {

    /** Boots {@code pkvm_driver} then {@code fixture}, then {@code kvstore}, as protected modules. */
    private static HostKernel bootAfterDriver(String fixture, String extraCmdline) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "kvstore");
        String name = Devices.addFixture(initramfs, fixture);
        return Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + name + ",kvstore "
                + extraCmdline, initramfs);
    }

    private static SecurityState.Insecure assertInsecureBecauseOf(HostKernel kernel, String module, Errno errno) {
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(module, insecure.module());
        assertEquals(errno, insecure.errno());
        assertFalse(insecure.allowsProtectedVms());
        assertEquals(List.of("pkvm_driver"), kernel.lsmod().stream().map(LoadedModule::name).toList(),
                "the list stops at the first failure; the module before it stays loaded");
        assertTrue(kernel.bootReport().deprivileged(), "an insecure system still deprivileges");
        assertEquals(0, kernel.machine().moduleRam().placedCount(), "no EL2 image left behind");
        assertEquals(Smccc.RET_NOT_SUPPORTED, rawHvc(kernel, 129).a0(), "no handler after pkvm_driver's");
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("failed to load module " + module)),
                "dmesg says which module failed");
        assertEquals(1, kernel.ioctl("pkvm_driver", 0, 0), "the module loaded before it still works");
        return insecure;
    }

    private static SmcccRes rawHvc(HostKernel kernel, int id) {
        return kernel.gateway().hvc(Smccc.kvmHostSmcccId(id), 0, 0, 0);
    }

    /** Scenario: the EL2 init fails with -EINVAL (C's non-zero return): the load fails with EINVAL. */
    @Test
    void el2InitThatFailsFailsTheLoad() {
        HostKernel kernel = bootAfterDriver("el2-init-fails", "");
        SecurityState.Insecure insecure = assertInsecureBecauseOf(kernel, "el2_init_fails", Errno.EINVAL);
        assertTrue(insecure.reason().contains("el2_init_fails_init"), insecure.reason());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("EL2: el2_init_fails: refusing to start")));
    }

    /**
     * Scenario: the EL1 init fails after loading EL2, registering a handler and a device: all undone,
     * and both of its layers become unreachable (nothing keeps them after a GC).
     */
    @Test
    void el1InitThatFailsLeavesNoHandlerNoDeviceNoModuleNoLayer() {
        HostKernel kernel = bootAfterDriver("el1-init-fails", "");
        assertInsecureBecauseOf(kernel, "el1_init_fails", Errno.ENODEV);
        assertFalse(kernel.devices().names().contains("el1_init_fails"));
        assertNoLayerKept(kernel, "fixture.el1_init_fails", "fixture.el1_init_fails.hyp");
    }

    /** Scenario: the EL2 init fails: its EL2 and EL1 layers are both released. */
    @Test
    void el2InitThatFailsLeavesNoLayer() {
        HostKernel kernel = bootAfterDriver("el2-init-fails", "");
        assertNoLayerKept(kernel, "fixture.el2_init_fails", "fixture.el2_init_fails.hyp");
    }

    private static void assertNoLayerKept(HostKernel kernel, String... modules) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            System.gc();
            List<String> live = kernel.liveVendorLayers();
            for (String module : modules) {
                assertFalse(live.contains(module), module + " is still reachable: " + live);
            }
        });
        assertTrue(kernel.liveVendorLayers().contains("acme.pkvm_driver"), "loaded modules keep their layers");
    }

    /** Scenario: a listed module is missing from the initramfs: ENOENT, named in the report. */
    @Test
    void moduleMissingFromInitramfs() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,ghost", initramfs);
        SecurityState.Insecure insecure = assertInsecureBecauseOf(kernel, "ghost", Errno.ENOENT);
        assertTrue(insecure.reason().contains("not found in initramfs"), insecure.reason());
    }

    /** Scenario: a module file of random bytes, and a jar that is no module file: both ENOEXEC. */
    @Test
    void corruptAndNonModuleFilesAreRefused() throws IOException {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Files.write(initramfs.resolve("corrupt.jar"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,corrupt", initramfs);
        assertTrue(assertInsecureBecauseOf(kernel, "corrupt", Errno.ENOEXEC).reason().contains("not a jar"));

        Path plain = Devices.newInitramfs();
        Devices.addBundled(plain, "pkvm_driver");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(plain.resolve("plain.jar")))) {
            jar.putNextEntry(new JarEntry("README"));
            jar.write("just a jar".getBytes());
        }
        HostKernel again = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,plain", plain);
        assertTrue(assertInsecureBecauseOf(again, "plain", Errno.ENOEXEC).reason().contains("modinfo"));
    }

    /** Scenario: an EL2 module that requires more than org.pkvm4j.api is refused before any class is defined. */
    @Test
    void el2ModuleRequiringMoreThanTheApiIsRefused() {
        HostKernel kernel = bootAfterDriver("el2-requires-more", "");
        SecurityState.Insecure insecure = assertInsecureBecauseOf(kernel, "el2_requires_more", Errno.EPERM);
        assertTrue(insecure.reason().contains("requires java.logging"), insecure.reason());
    }

    /** Scenario: the EL1 side names an EL2 symbol that does not exist: ENOENT, "Unknown symbol". */
    @Test
    void unknownEl2SymbolFailsTheLoad() {
        HostKernel kernel = bootAfterDriver("unknown-symbol", "");
        SecurityState.Insecure insecure = assertInsecureBecauseOf(kernel, "unknown_symbol", Errno.ENOENT);
        assertTrue(insecure.reason().contains("Unknown symbol unknown_symbol_hyp_ini"), insecure.reason());
    }

    /** Scenario: 128 handlers fit; the 129th is ENOMEM, and the failed module's 127 others are revoked. */
    @Test
    void the129thHandlerIsEnomem() {
        HostKernel kernel = bootAfterDriver("handler-flood", "");
        assertInsecureBecauseOf(kernel, "handler_flood", Errno.ENOMEM);
        for (int id = 129; id < 256; id++) {
            assertEquals(Smccc.RET_NOT_SUPPORTED, rawHvc(kernel, id).a0(), "hvc " + id + " revoked");
        }
    }

    /**
     * Scenario: 127 handlers after pkvm_driver's fill the table exactly; that module loads, and the
     * next one in the list (kvstore) finds no slot left.
     */
    @Test
    void exactly128HandlersFitAndTheNextModuleStarves() {
        HostKernel kernel = bootAfterDriver("handler-flood", "handler_flood.count=127");
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals("kvstore", insecure.module());
        assertEquals(Errno.ENOMEM, insecure.errno());
        assertEquals(List.of("pkvm_driver", "handler_flood"), kernel.lsmod().stream().map(LoadedModule::name).toList());
        assertEquals(127, kernel.lsmod().get(1).hvcs().size());
        assertEquals(255, kernel.lsmod().get(1).hvcs().getLast().id());
        assertEquals(Smccc.RET_SUCCESS, rawHvc(kernel, 255).a0());
        assertEquals(0, kernel.machine().moduleRam().placedCount());
    }

    /** Scenario: a module forges pkvm_driver's token and HVC number: EINVAL and EPERM, and it loads. */
    @Test
    void tokensAndHvcNumbersOfAnotherModuleAreRefused() {
        HostKernel kernel = bootAfterDriver("token-thief", "token_thief.victim_token=0x800000000000 token_thief.victim_hvc=128");
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertEquals(Errno.EINVAL.code(), kernel.ioctl("token_thief", 1, 0));
        assertEquals(Errno.EPERM.code(), kernel.ioctl("token_thief", 2, 0));
    }

    /** Scenario: a malformed or duplicated kvm-arm.protected_modules= refuses the boot with a message. */
    @Test
    void malformedOrDuplicateModuleListRefusesTheBoot() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        BootConfigException empty = assertThrows(BootConfigException.class,
                () -> Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,,kvstore", initramfs));
        assertTrue(empty.getMessage().contains("entry 2 is empty"), empty.getMessage());
        BootConfigException bad = assertThrows(BootConfigException.class,
                () -> Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver;rm", initramfs));
        assertTrue(bad.getMessage().contains("is not a module name"), bad.getMessage());
        BootConfigException twice = assertThrows(BootConfigException.class,
                () -> Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,pkvm-driver", initramfs));
        assertTrue(twice.getMessage().contains("listed twice"), twice.getMessage());
        BootConfigException noValue = assertThrows(BootConfigException.class,
                () -> Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules", initramfs));
        assertTrue(noValue.getMessage().contains("needs a value"), noValue.getMessage());
    }
}
