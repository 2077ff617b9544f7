package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Machine;

/** {@link PkvmBoot} on the bundled modules, built from their sources and loaded from their files. */
@ExtendWith(BundledModulesBuilt.class)
@PkvmBoot(modules = "${pkvm4j.testkit.modules}/kvstore.jar")
class PkvmBootTest {
    private HostKernel fromBeforeEach;

    @BeforeEach
    void before(HostKernel kernel) {
        fromBeforeEach = kernel;
    }

    @Test
    void bootsAProtectedDeviceListingTheModules(HostKernel kernel, Machine machine, BootReport report, KernelLog log,
            PkvmDevice device) {
        assertThat(kernel).isProtected().hasModule("kvstore", 4).deprivileged().hasNoPanic();
        assertEquals("kvm-arm.mode=protected kvm-arm.protected_modules=kvstore nr_cpus=2 mem=256M", report.cmdline());
        assertEquals(2, machine.nrCpus());
        assertSame(kernel.machine(), machine);
        assertSame(kernel.log(), log);
        assertSame(kernel.bootReport(), report);
        assertSame(kernel, device.kernel());
        assertSame(kernel, fromBeforeEach, "@BeforeEach sees the test's device");
        assertTrue(Files.isRegularFile(device.initramfs().resolve("kvstore.jar")), "the file is in the initramfs under its modinfo name");
    }

    @Test
    @PkvmBoot(modules = {"${pkvm4j.testkit.modules}/pkvm_driver.jar", "${pkvm4j.testkit.modules}/kvstore.jar"},
            nrCpus = 3, mem = "64M")
    void aMethodAnnotationReplacesTheClassOne(HostKernel kernel, Machine machine) {
        assertEquals(3, machine.nrCpus());
        assertEquals(List.of("pkvm_driver", "kvstore"), kernel.lsmod().stream().map(LoadedModule::name).toList());
        assertThat(kernel).isProtected().hasModule("pkvm_driver", 1).hasModule("kvstore", 4);
    }

    @Test
    void moduleHvcsCallTheModulesHandlersAsTheModule(@Module("kvstore") ModuleHvcs kvstore) {
        assertEquals(0, kvstore.call(0, 7, 42), "kvstore_put");
        assertEquals(42, kvstore.callSmccc(1, 7, 0, 0).a2(), "kvstore_get");
        assertEquals(1, kvstore.call(3), "kvstore_count");
        assertEquals(Errno.ENOENT.negated(), kvstore.call(2, 8), "kvstore_del of a missing key");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kvstore.call(4));
        assertTrue(e.getMessage().contains("kvstore registered 4 EL2 handler(s)"), e.getMessage());
    }

    @Test
    @PkvmBoot(modules = "${pkvm4j.testkit.modules}/pkvm_driver.jar")
    void injectsTheModulesPkvmAndLsmodEntry(@Module("pkvm-driver") Pkvm pkvm, @Module("pkvm_driver") LoadedModule module) {
        assertEquals("pkvm_driver", module.name());
        assertEquals(0, pkvm.el2ModCall(module.hvcs().getFirst()));
    }

    @RepeatedTest(2)
    void everyTestGetsAFreshDevice(@Module("kvstore") ModuleHvcs kvstore) {
        assertEquals(0, kvstore.call(3), "no entry left by an earlier test");
        kvstore.call(0, 1, 1);
    }

    @Test
    @PkvmBoot(cmdline = "kvm-arm.mode=nvhe", modules = "${pkvm4j.testkit.modules}/kvstore.jar")
    void anExplicitCommandLineIsUsedAsWritten(HostKernel kernel, BootReport report) {
        assertThat(kernel).isUnprotected().notDeprivileged().doesNotHaveModule("kvstore");
        assertEquals("kvm-arm.mode=nvhe nr_cpus=2 mem=256M", report.cmdline());
    }

    @Test
    @PkvmBoot(cmdline = "kvm-arm.mode=protected kvm-arm.protected_modules=kvstore,absent_mod",
            modules = "${pkvm4j.testkit.modules}/kvstore.jar")
    void aMissingListedModuleMakesTheDeviceInsecure(HostKernel kernel) {
        assertThat(kernel).isInsecure().isInsecure("absent_mod", Errno.ENOENT).hasModule("kvstore").deprivileged();
    }

    @Test
    @PkvmBoot(initramfs = "${pkvm4j.testkit.modules}",
            cmdline = "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver")
    void anInitramfsDirectoryIsCopiedIn(HostKernel kernel) {
        assertThat(kernel).isProtected().hasModule("pkvm_driver").doesNotHaveModule("hello_el1");
        assertEquals("hello_el1", kernel.modprobe("hello_el1").name(), "an ordinary module still loads after deprivilege");
        PkvmException late = assertThrows(PkvmException.class, () -> kernel.modprobe("kvstore"));
        assertEquals(Errno.EOPNOTSUPP, late.errno());
    }

    @Test
    void closingTheDeviceDeletesItsInitramfs(PkvmDevice device) {
        PkvmDevice other = BootSpec.builder(getClass().getAnnotation(PkvmBoot.class)).boot();
        assertNotSame(device.initramfs(), other.initramfs());
        other.close();
        other.close();
        assertTrue(Files.notExists(other.initramfs()));
        assertTrue(Files.isDirectory(device.initramfs()));
    }
}
