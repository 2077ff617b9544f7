package org.pkvm4j.testkit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.opentest4j.AssertionFailedError;
import org.pkvm4j.machine.Machine;

/** Devices booted by hand, configuration errors, and release after close. */
@ExtendWith(BundledModulesBuilt.class)
class PkvmDeviceTest {
    private static Path modules() {
        return Path.of(System.getProperty(BundledModulesBuilt.MODULES));
    }

    @Test
    void aClosedDeviceIsReleased() {
        WeakReference<Machine> machine = bootCallAndClose();
        // Nothing but the test held the device: DRAM, the hyp layer and the vendor layers go with it,
        // also on this thread, which trapped into the machine (its per-thread CPU affinity).
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            System.gc();
            return machine.get() == null;
        });
    }

    private static WeakReference<Machine> bootCallAndClose() {
        try (PkvmDevice device = PkvmDevice.builder().module(modules().resolve("kvstore.jar")).boot()) {
            assertEquals(0, device.module("kvstore").call(0, 1, 2));
            return new WeakReference<>(device.machine());
        }
    }

    @Test
    void aModuleThatIsNotLoadedFailsWithTheLogAboutIt() {
        try (PkvmDevice device = PkvmDevice.builder().cmdline("kvm-arm.mode=protected kvm-arm.protected_modules=nope_mod")
                .boot()) {
            AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> device.module("nope_mod"));
            assertTrue(e.getMessage().startsWith("module nope_mod is not loaded (lsmod: [])\ndmesg, lines about nope_mod"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("failed to load module nope_mod: ENOENT"), e.getMessage());
        }
    }

    @Test
    void aMissingModuleFileIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PkvmDevice.builder().module(Path.of("target/no-such-module.jar")).boot());
        assertTrue(e.getMessage().contains("no-such-module.jar does not exist: build it first"), e.getMessage());
    }

    @Test
    void aFileThatIsNotAModuleFileIsAClearError() {
        Path notModule = Path.of(org.pkvm4j.api.Errno.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PkvmDevice.builder().module(notModule).boot());
        assertTrue(e.getMessage().contains("is not a module file"), e.getMessage());
    }

    @Test
    void anUnsetPropertyNamesItself() {
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> BootSpec.expand("${pkvm4j.no.such.property}/x.jar"));
        assertTrue(e.getMessage().contains("needs the system property pkvm4j.no.such.property, which is not set"), e.getMessage());
        assertEquals(System.getProperty(BundledModulesBuilt.MODULES) + "/k.jar", BootSpec.expand("${" + BundledModulesBuilt.MODULES + "}/k.jar"));
    }

    @Test
    void explicitParametersAreNotAddedTwice() {
        PkvmDevice.Builder b = PkvmDevice.builder().cmdline("kvm-arm.mode=protected nr_cpus=1").mem("32M");
        assertEquals("kvm-arm.mode=protected nr_cpus=1 mem=32M", b.commandLine(java.util.List.of()));
        assertEquals("kvm-arm.mode=protected kvm-arm.protected_modules=a,b nr_cpus=2 mem=256M",
                PkvmDevice.builder().commandLine(java.util.List.of("a", "b")));
    }
}
