package org.pkvm4j.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.machine.Dram;

/**
 * EL2 code runs only on a CPU inside a trap (issue 9 item 3): a register view kept past its handler
 * and written from another thread changes no later call, and ModuleOps called from a thread the
 * module kept change nothing; both are reported. The fixture starts threads, which the static checks
 * refuse, so it is loaded with them off ({@code pkvm.el2_verify=0}): the run-time layer holds alone.
 */
class RunTimeContainmentIT {
    private static final long PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;
    private static final long PA = PFN << Dram.PAGE_SHIFT;

    private static HostKernel boot() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        String name = Devices.addFixture(initramfs, "el2-kept-views");
        return Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + name
                + " mem=64M pkvm.el2_verify=0", initramfs);
    }

    private static boolean logged(HostKernel kernel, String text) {
        return kernel.log().lines().stream().anyMatch(l -> l.contains(text));
    }

    /**
     * Scenario: a handler keeps its register view and a thread it started writes x0..x2 a million
     * times after the handler returned; every later call sees its own registers only, and the misuse
     * is reported once in dmesg (rate-limited), naming the module.
     */
    @Test
    void aKeptRegisterViewWrittenFromAnotherThreadReachesNoLaterCall() {
        HostKernel kernel = boot();
        assertEquals(0, kernel.ioctl("el2_kept_views", 4, 1_000_000));
        for (long i = 1; i <= 1000; i++) {
            assertEquals(i, kernel.ioctl("el2_kept_views", 0, i), "call " + i + " saw its own x1");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> kernel.ioctl("el2_kept_views", 5, 0) == 0);
        SmcccRes res = kernel.pkvm("el2_kept_views").orElseThrow().el2ModCallSmccc(
                kernel.lsmod().stream().filter(m -> m.name().equals("el2_kept_views")).findFirst().orElseThrow().hvcs().getFirst(),
                0, 99, 0);
        assertEquals(Smccc.RET_SUCCESS, res.a0());
        assertEquals(99, res.a1());
        assertTrue(logged(kernel, "el2_kept_views: register view used off its trap"), String.join("\n", kernel.log().lines()));
        long reports = kernel.log().lines().stream().filter(l -> l.contains("register view used off its trap")).count();
        assertTrue(reports >= 1 && reports <= 100, "rate-limited: " + reports);
        assertTrue(kernel.panic().isEmpty());
    }

    /**
     * Scenario: a thread the module started calls puts and host_share_hyp: the line is not printed,
     * the share fails with EPERM and the page stays the host's, and the refusal is reported once.
     */
    @Test
    void moduleOpsFromAThreadTheModuleKeptChangeNothing() {
        HostKernel kernel = boot();
        kernel.machine().hostMemory().store64(PA, 41);
        assertEquals(0, kernel.ioctl("el2_kept_views", 6, PFN));
        await().atMost(Duration.ofSeconds(30)).until(() -> kernel.ioctl("el2_kept_views", 7, 0) != 0);
        assertEquals(1, kernel.ioctl("el2_kept_views", 7, 0), "puts returned and host_share_hyp failed with EPERM");
        assertFalse(logged(kernel, "puts from a kept thread"));
        assertTrue(logged(kernel, "el2_kept_views: ModuleOps.puts called outside a trap running its code"));
        kernel.machine().hostMemory().store64(PA, 42);
        assertEquals(42, kernel.machine().hostMemory().load64(PA), "the page is still the host's alone");
        assertEquals(5, kernel.ioctl("el2_kept_views", 0, 5));
    }
}
