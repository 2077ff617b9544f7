package org.pkvm4j.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.cli.Main;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;

/**
 * The lockup watchdog (issue 9 item 5, docs/adr/0010): EL2 code that does not return, wherever it
 * runs, becomes a {@code PKVM-HYP-LOCKUP} hyp panic within the bound; the stuck trap unwinds and
 * returns to the host, the JVM goes on and other devices keep working. A handler over the budget
 * that returns is a warning.
 */
class LockupWatchdogIT {
    private static final long BOUND_MS = 400;
    /** Generous: a shared 2-CPU build machine; the watchdog itself reports at the bound plus one sampling period. */
    private static final Duration WITHIN = Duration.ofMillis(BOUND_MS).plusSeconds(10);
    private static final long PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final long PA = PFN << Dram.PAGE_SHIFT;

    private static HostKernel bootLockup(String extra) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        String name = Devices.addFixture(initramfs, "el2-lockup");
        return Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + name
                + " mem=64M pkvm.hyp_lockup_ms=" + BOUND_MS + " " + extra, initramfs);
    }

    /**
     * Runs {@code call} on a thread of its own (the trapping thread), waits for it to end, and returns
     * what it threw; the thread must end: the stuck EL2 code unwound.
     */
    private static Throwable trapOnAThread(Runnable call) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("lockup-trap").start(() -> {
            try {
                call.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        await().atMost(WITHIN).until(() -> !t.isAlive());
        return thrown.get();
    }

    private static HypPanic assertLockup(HostKernel kernel, Throwable thrown, String symbol) {
        HypPanicException e = assertInstanceOf(HypPanicException.class, thrown);
        HypPanic panic = kernel.panic().orElseThrow();
        assertEquals(panic, e.panic());
        assertEquals(ErrorCode.HYP_LOCKUP, ErrorCode.of(e));
        assertTrue(panic.reason().startsWith("PKVM-HYP-LOCKUP: "), panic.reason());
        assertTrue(panic.reason().contains(symbol), panic.reason());
        assertTrue(panic.reason().contains("within " + BOUND_MS + " ms"), panic.reason());
        assertTrue(panic.detail().contains("stack of the trapped thread"), panic.detail());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("Kernel panic - not syncing: HYP panic")
                && l.contains("PKVM-HYP-LOCKUP")));
        return panic;
    }

    /** Scenario: a handler that spins forever: a lockup panic naming module, symbol, CPU and the stack. */
    @Test
    void aHandlerThatSpinsForeverIsALockup() {
        HostKernel kernel = bootLockup("");
        assertEquals(7, kernel.ioctl("el2_lockup", 0, 7), "the module answers before it spins");
        long start = System.nanoTime();
        Throwable thrown = trapOnAThread(() -> kernel.ioctl("el2_lockup", 1, 0));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        HypPanic panic = assertLockup(kernel, thrown, "el2_lockup_hvc of module el2_lockup");
        assertTrue(tookMs >= BOUND_MS, "reported after the bound, not before: " + tookMs);
        assertTrue(panic.reason().contains("on CPU" + panic.cpu()), panic.reason());
        assertTrue(panic.detail().contains("fixture.el2_lockup.hyp.Hyp.spin"), panic.detail());
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: the spin sits inside {@code try { } catch (Throwable t) { }} in a loop: the stop is not swallowed. */
    @Test
    void aSpinThatSwallowsEveryThrowableStillStops() {
        HostKernel kernel = bootLockup("");
        Throwable thrown = trapOnAThread(() -> kernel.ioctl("el2_lockup", 2, 0));
        HypPanic panic = assertLockup(kernel, thrown, "el2_lockup_hvc of module el2_lockup");
        assertTrue(panic.detail().contains("spin"), panic.detail());
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: the serial driver never returns (a handler's puts runs it): the report names both. */
    @Test
    void aSerialDriverThatNeverReturnsIsALockup() {
        HostKernel kernel = bootLockup("");
        Throwable thrown = trapOnAThread(() -> kernel.ioctl("el2_lockup", 8, 0));
        HypPanic panic = assertLockup(kernel, thrown, "el2_lockup_hvc of module el2_lockup");
        assertTrue(panic.reason().contains("running serial_driver of module el2_lockup"), panic.reason());
        assertTrue(panic.detail().contains("fixture.el2_lockup.hyp.Hyp.putc"), panic.detail());
    }

    /** Scenario: a perm-fault handler never returns: the host's faulting store gets the panic. */
    @Test
    void aPermFaultHandlerThatNeverReturnsIsALockup() {
        HostKernel kernel = bootLockup("");
        assertEquals(0, kernel.ioctl("el2_lockup", 9, PFN), "PFN restricted to read-only");
        Throwable thrown = trapOnAThread(() -> kernel.machine().hostMemory().store64(PA, 1));
        HypPanic panic = assertLockup(kernel, thrown, "host_perm_fault_handler of module el2_lockup");
        assertTrue(panic.detail().contains("fixture.el2_lockup.hyp.Hyp.permFault"), panic.detail());
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: an EL2 init that never returns: the boot ends with the lockup in its report, not a hang. */
    @Test
    void anEl2InitThatNeverReturnsEndsTheBootWithALockup() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-init-lockup");
        AtomicReference<HostKernel> booted = new AtomicReference<>();
        Throwable thrown = trapOnAThread(() -> booted.set(Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules="
                + name + " pkvm.hyp_lockup_ms=" + BOUND_MS, initramfs)));
        assertEquals(null, thrown);
        HostKernel kernel = booted.get();
        HypPanic panic = kernel.bootReport().panic().orElseThrow();
        assertTrue(panic.reason().startsWith("PKVM-HYP-LOCKUP: el2_init_lockup_init of module el2_init_lockup"), panic.reason());
        assertTrue(panic.detail().contains("fixture.el2_init_lockup.hyp.Hyp.init"), panic.detail());
        assertFalse(kernel.bootReport().deprivileged());
        assertTrue(kernel.lsmod().isEmpty());
        Devices.assertAnotherDeviceWorks();
    }

    /** Scenario: a static initializer, run by an EL2 init, never returns: the same lockup, its frame on the stack. */
    @Test
    void aStaticInitializerThatNeverReturnsIsALockup() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-clinit-lockup");
        AtomicReference<HostKernel> booted = new AtomicReference<>();
        trapOnAThread(() -> booted.set(Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules="
                + name + " pkvm.hyp_lockup_ms=" + BOUND_MS, initramfs)));
        HypPanic panic = booted.get().bootReport().panic().orElseThrow();
        assertTrue(panic.reason().startsWith("PKVM-HYP-LOCKUP: el2_clinit_lockup_init of module el2_clinit_lockup"), panic.reason());
        assertTrue(panic.detail().contains("fixture.el2_clinit_lockup.hyp.Stuck.<clinit>"), panic.detail());
    }

    /**
     * Scenario: a handler runs past a short budget and returns: a dmesg warning naming module and
     * symbol, no panic, and the device keeps answering.
     */
    @Test
    void aHandlerOverBudgetThatReturnsIsAWarning() {
        // A bound far above the budget (the last value given wins): on a loaded machine the doubling
        // computation must not turn into a lockup before a trap over 5 ms returns.
        HostKernel kernel = bootLockup("pkvm.hyp_budget_ms=5 pkvm.hyp_lockup_ms=60000");
        long rounds = 1_000_000;
        long answer = kernel.ioctl("el2_lockup", 3, rounds);
        for (int i = 0; i < 20 && !overBudget(kernel); i++) {
            rounds *= 2;
            answer = kernel.ioctl("el2_lockup", 3, rounds);
        }
        assertTrue(answer == 1 || answer == 2, "the computation returned its answer: " + answer);
        await().atMost(Duration.ofSeconds(10)).until(() -> overBudget(kernel));
        assertTrue(kernel.panic().isEmpty());
        assertEquals(5, kernel.ioctl("el2_lockup", 0, 5));
    }

    private static boolean overBudget(HostKernel kernel) {
        return kernel.log().lines().stream().anyMatch(l -> l.contains("WARNING")
                && l.contains("el2_lockup_hvc of module el2_lockup") && l.contains("over the 5 ms budget"));
    }

    /** Scenario: the bound and budget are kernel parameters; malformed values stop the boot as PKVM-BOOT-CMDLINE (exit 2). */
    @Test
    void theBoundIsAKernelParameter() {
        HostKernel kernel = bootLockup("pkvm.hyp_budget_ms=250");
        assertEquals(BOUND_MS, kernel.cmdline().hypLockupMillis());
        assertEquals(250, kernel.cmdline().hypBudgetMillis());
        assertNotNull(kernel.machine());
        for (String bad : List.of("pkvm.hyp_lockup_ms=soon", "pkvm.hyp_lockup_ms=-1", "pkvm.hyp_budget_ms=0", "pkvm.hyp_budget_ms")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            assertEquals(2, Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "boot", "--initramfs",
                    System.getProperty("pkvm4j.it.initramfs"), "--cmdline", "kvm-arm.mode=protected " + bad), bad);
            assertTrue(err.toString().contains("[PKVM-BOOT-CMDLINE]"), err.toString());
        }
    }

    /**
     * Scenario: {@code pkvm boot} of a device whose EL2 init never returns exits 1 with the panic
     * report, within the bound plus the boot (the issue asks for the bound plus a second: see
     * docs/benchmarks.md for the figure measured on an idle machine; this test allows for a loaded one).
     */
    @Test
    void pkvmBootWithAnInitThatNeverReturnsExitsOne() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "el2-init-lockup");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long start = System.nanoTime();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "boot", "--initramfs", initramfs.toString(),
                "--cmdline", "kvm-arm.mode=protected kvm-arm.protected_modules=" + name + " pkvm.hyp_lockup_ms=1000");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(1, exit, err.toString());
        assertTrue(out.toString().contains("HYP PANIC") && out.toString().contains("PKVM-HYP-LOCKUP: el2_init_lockup_init"), out.toString());
        assertTrue(tookMs >= 1000 && tookMs < 1000 + 10_000, "took " + tookMs + " ms");
    }

    /** Scenario: udelay is bounded, but a module that calls it in an endless loop is a lockup like any spin. */
    @Test
    void aModuleThatUdelaysForeverIsALockup() {
        HostKernel kernel = bootLockup("");
        Throwable thrown = trapOnAThread(() -> kernel.ioctl("el2_lockup", 11, 0));
        assertLockup(kernel, thrown, "el2_lockup_hvc");
        Devices.assertAnotherDeviceWorks();
    }

    /**
     * Scenario: a handler throws (a hyp panic) after registering a panic notifier that spins. The
     * notifier runs before the report, on the panicking CPU; the watchdog catches it and the first
     * panic is reported at once, with the notifier's lockup as what happened while it ran; the trap
     * unwinds and returns to the host.
     */
    @Test
    void aPanicNotifierThatNeverReturnsCannotHoldTheReportBack() {
        HostKernel kernel = bootLockup("");
        Throwable thrown = trapOnAThread(() -> kernel.ioctl("el2_lockup", 10, 0));
        HypPanicException e = assertInstanceOf(HypPanicException.class, thrown);
        HypPanic panic = kernel.panic().orElseThrow();
        assertEquals(panic, e.panic());
        assertEquals(ErrorCode.HYP_PANIC, ErrorCode.of(e));
        assertTrue(panic.reason().contains("panic with a spinning notifier"), panic.reason());
        assertTrue(panic.detail().contains("while the panic notifiers ran: PKVM-HYP-LOCKUP: hyp_panic_notifier of module el2_lockup"),
                panic.detail());
        Devices.assertAnotherDeviceWorks();
    }
}
