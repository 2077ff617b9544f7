package org.pkvm4j.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LayerRelease;
import org.pkvm4j.host.loader.LeakReport;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.loader.Unloaded;

/**
 * {@code rmmod}: an ordinary EL1 module unloads and its layer is really freed; a pKVM module, a
 * module in use and an unknown one are refused with the kernel's errnos; a module that leaks is
 * reported with what holds it.
 */
class UnloadIT {

    /** A protected device with pkvm_driver listed, {@code extra} modules in its initramfs, loaded late. */
    private static HostKernel boot(String cmdlineExtra, List<String> fixtures) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "hello_el1");
        fixtures.forEach(f -> Devices.addFixture(initramfs, f));
        return Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver " + cmdlineExtra, initramfs);
    }

    private static void awaitReleased(HostKernel kernel, LayerRelease release, String el1Module) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            System.gc();
            assertTrue(release.isReleased(), () -> release.leakReport().map(LeakReport::describe).orElse("released"));
        });
        assertFalse(kernel.liveVendorLayers().contains(el1Module), kernel.liveVendorLayers()::toString);
    }

    /**
     * Scenario: hello_el1 is loaded after deprivilege and unloaded: its exit hook prints, /dev/hello
     * goes, it leaves lsmod, and its layer and class loader are collected; it can then be loaded
     * again.
     */
    @Test
    void helloEl1UnloadsAndItsLayerIsCollected() {
        HostKernel kernel = boot("hello_el1.farewell=bye-bye", List.of());
        kernel.modprobe("hello_el1");
        assertEquals(0, kernel.ioctl("hello", MiscDevice.IOCTL_SELFTEST, 0));

        Unloaded unloaded = kernel.rmmod("hello_el1");

        assertEquals(List.of("hello"), unloaded.devices());
        assertTrue(unloaded.exitFailure().isEmpty());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.endsWith("hello_el1: bye-bye")), "the exit hook ran");
        assertFalse(kernel.devices().names().contains("hello"));
        assertTrue(kernel.lsmod().stream().map(LoadedModule::name).noneMatch("hello_el1"::equals));
        assertEquals(Errno.ENOENT, assertThrows(PkvmException.class, () -> kernel.ioctl("hello", 0, 0)).errno());
        awaitReleased(kernel, unloaded.release(), "acme.hello");
        assertTrue(kernel.liveVendorLayers().contains("acme.pkvm_driver"), "the pKVM module keeps its layer");

        kernel.modprobe("hello_el1");
        assertEquals(0, kernel.ioctl("hello", MiscDevice.IOCTL_SELFTEST, 0), "loaded again after the unload");
        assertTrue(kernel.rmmod("hello_el1").release().await(Duration.ofSeconds(20)).isEmpty(),
                "the bounded wait the shell uses sees the release too");
    }

    /**
     * Scenario: a pKVM module holds the reference its EL2 load took for good, so rmmod fails with
     * EWOULDBLOCK ("in use") and the module keeps working.
     */
    @Test
    void aPkvmModuleCanNeverBeUnloaded() {
        HostKernel kernel = boot("", List.of());
        PkvmException e = assertThrows(PkvmException.class, () -> kernel.rmmod("pkvm_driver"));
        assertEquals(Errno.EAGAIN, e.errno());
        assertEquals(org.pkvm4j.host.diag.ErrorCode.RMMOD_IN_USE, org.pkvm4j.host.diag.ErrorCode.of(e));
        assertTrue(e.getMessage().contains("is in use"), e.getMessage());
        assertTrue(kernel.lsmod().stream().anyMatch(m -> m.name().equals("pkvm_driver")));
        assertEquals(0, kernel.pkvm("pkvm_driver").orElseThrow().el2ModCall(kernel.lsmod().getFirst().hvcs().getFirst()));
        assertTrue(kernel.devices().names().contains("pkvm_driver"), "its device stays");
    }

    /** Scenario: a module others depend on is refused (EWOULDBLOCK, naming them) until they are gone. */
    @Test
    void aModuleInUseIsRefusedUntilItsUsersAreUnloaded() {
        HostKernel kernel = boot("", List.of("hello-user"));
        kernel.modprobe("hello_user");
        assertEquals(List.of("hello_user"), kernel.holders("hello_el1"));

        PkvmException e = assertThrows(PkvmException.class, () -> kernel.rmmod("hello_el1"));
        assertEquals(Errno.EAGAIN, e.errno());
        assertTrue(e.getMessage().endsWith("is in use by: hello_user"), e.getMessage());
        assertTrue(kernel.devices().names().contains("hello"), "refused before anything was torn down");

        kernel.rmmod("hello_user");
        awaitReleased(kernel, kernel.rmmod("hello_el1").release(), "acme.hello");
        assertFalse(kernel.liveVendorLayers().contains("fixture.hello_user"));
    }

    /** Scenario: rmmod of a module that is not loaded is ENOENT, and changes nothing. */
    @Test
    void anUnknownModuleIsEnoent() {
        HostKernel kernel = boot("", List.of());
        PkvmException unknown = assertThrows(PkvmException.class, () -> kernel.rmmod("nope"));
        assertEquals(Errno.ENOENT, unknown.errno());
        assertEquals(org.pkvm4j.host.diag.ErrorCode.RMMOD_NOT_LOADED, org.pkvm4j.host.diag.ErrorCode.of(unknown));
        assertEquals(Errno.ENOENT, assertThrows(PkvmException.class, () -> kernel.rmmod("hello_el1")).errno(),
                "in the initramfs but not loaded");
        assertEquals(1, kernel.lsmod().size());
    }

    /**
     * Scenario: a module whose exit hook throws is unloaded anyway (a module_exit cannot fail): the
     * failure is reported and logged, and the layer still goes.
     */
    @Test
    void anExitHookThatThrowsDoesNotStopTheUnload() {
        HostKernel kernel = boot("leaky_el1.leak=exit-throws", List.of("leaky-el1"));
        kernel.modprobe("leaky_el1");
        Unloaded unloaded = kernel.rmmod("leaky_el1");
        assertEquals("java.lang.IllegalStateException: leaky_el1: exit failed on purpose", unloaded.exitFailure().orElseThrow());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("leaky_el1: exit hook threw")));
        assertTrue(kernel.lsmod().stream().noneMatch(m -> m.name().equals("leaky_el1")));
        assertTrue(unloaded.release().await(Duration.ofSeconds(20)).isEmpty(), "released");
    }

    /**
     * Scenario: a module starts a thread running its code and does not stop it on exit: the bounded
     * wait reports the leak and names the thread; once the thread ends, the layer goes.
     */
    @Test
    void aThreadLeftRunningIsNamedInTheLeakReport() {
        HostKernel kernel = boot("leaky_el1.leak=thread", List.of("leaky-el1"));
        kernel.modprobe("leaky_el1");
        Unloaded unloaded = kernel.rmmod("leaky_el1");

        LeakReport leak = unloaded.release().await(Duration.ofMillis(500)).orElseThrow();
        assertTrue(leak.retainers().stream().anyMatch(r -> r.startsWith("thread \"leaky_el1-worker\"")
                && r.contains("running the module's code at fixture.leaky_el1.Module.work")), leak::describe);

        // Not kept in a variable: even a dead Thread object holds its Runnable, the module's lambda.
        threadsNamed("leaky_el1-worker").forEach(Thread::interrupt);
        await().atMost(Duration.ofSeconds(10)).until(() -> threadsNamed("leaky_el1-worker").isEmpty());
        awaitReleased(kernel, unloaded.release(), "fixture.leaky_el1");
    }

    /**
     * Scenario: a thread of an unloaded module tries to register a device through the context it
     * kept: refused with ENODEV, no device appears, and once the thread ends the layer goes.
     */
    @Test
    void aKeptContextCannotRegisterAfterTheUnload() {
        HostKernel kernel = boot("leaky_el1.leak=late-register", List.of("leaky-el1"));
        kernel.modprobe("leaky_el1");
        Unloaded unloaded = kernel.rmmod("leaky_el1");
        threadsNamed("leaky_el1-worker").forEach(Thread::interrupt);
        await().atMost(Duration.ofSeconds(10)).until(() -> kernel.log().lines().stream()
                .anyMatch(l -> l.contains("leaky_el1: late register ")));
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.endsWith("late register refused: ENODEV (-19)")),
                () -> String.join("\n", kernel.log().lines()));
        assertFalse(kernel.devices().names().contains("leaky_late"));
        await().atMost(Duration.ofSeconds(10)).until(() -> threadsNamed("leaky_el1-worker").isEmpty());
        awaitReleased(kernel, unloaded.release(), "fixture.leaky_el1");
    }

    private static List<Thread> threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).toList();
    }

    /**
     * Scenario: a module installs the JVM's default uncaught exception handler and does not remove
     * it: the leak report names the handler; once it is reset, the layer goes.
     */
    @Test
    void aGlobalHandlerLeftInstalledIsNamedInTheLeakReport() {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        try {
            HostKernel kernel = boot("leaky_el1.leak=handler", List.of("leaky-el1"));
            kernel.modprobe("leaky_el1");
            Unloaded unloaded = kernel.rmmod("leaky_el1");

            LeakReport leak = unloaded.release().await(Duration.ofMillis(500)).orElseThrow();
            assertTrue(leak.describe().contains("the default uncaught exception handler"
                    + " (Thread.setDefaultUncaughtExceptionHandler): fixture.leaky_el1.Module$Handler"), leak::describe);

            Thread.setDefaultUncaughtExceptionHandler(previous);
            awaitReleased(kernel, unloaded.release(), "fixture.leaky_el1");
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
    }
}
