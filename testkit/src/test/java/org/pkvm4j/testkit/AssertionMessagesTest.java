package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;

/** Each assertion passes on a device that satisfies it, and fails with the message a module author needs. */
@ExtendWith(BundledModulesBuilt.class)
@PkvmBoot(modules = {"${pkvm4j.testkit.modules}/pkvm_driver.jar", "${pkvm4j.testkit.modules}/kvstore.jar"})
class AssertionMessagesTest {
    private static final String INSECURE = "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,absent_mod,kvstore";

    private static String failure(Executable assertion) {
        return assertThrows(AssertionFailedError.class, assertion).getMessage();
    }

    private static void contains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "no \"" + part + "\" in:\n" + message);
        }
    }

    @Test
    void aProtectedBootPassesItsChecksAndFailsTheOthers(HostKernel kernel) {
        assertThat(kernel).isProtected().hasModule("pkvm_driver").hasModule("kvstore", 4).deprivileged().hasNoPanic();
        String m = failure(() -> assertThat(kernel).isInsecure());
        contains(m, "expected an insecure boot, but it is protected: every module in kvm-arm.protected_modules= loaded",
                "dmesg, warnings and errors:");
        m = failure(() -> assertThat(kernel).hasModule("percpu_counter"));
        contains(m, "expected module percpu_counter to be loaded at boot, but the boot loaded [pkvm_driver, kvstore]",
                "dmesg, lines about percpu_counter and every warning or error:");
        m = failure(() -> assertThat(kernel).hasModule("kvstore", 1));
        contains(m, "expected module kvstore with an EL2 part and 1 HVC(s), but it has HVCs [129, 130, 131, 132]", "kvstore: loaded EL2");
        m = failure(() -> assertThat(kernel).doesNotHaveModule("kvstore"));
        contains(m, "expected module kvstore not to be loaded");
        contains(failure(() -> assertThat(kernel).notDeprivileged()), "but every CPU finalized");
        contains(failure(() -> assertThat(kernel).panicked()), "expected a hyp panic, but there was none");
        contains(failure(() -> assertThat(kernel).isUnprotected()), "expected an unprotected boot (pKVM off)");
    }

    @Test
    @PkvmBoot(cmdline = INSECURE, modules = {"${pkvm4j.testkit.modules}/pkvm_driver.jar", "${pkvm4j.testkit.modules}/kvstore.jar"})
    void anInsecureBootQuotesTheLinesAboutTheFailedModule(HostKernel kernel) {
        assertThat(kernel).isInsecure("absent_mod", Errno.ENOENT).hasModule("pkvm_driver").doesNotHaveModule("kvstore");
        String m = failure(() -> assertThat(kernel).isProtected());
        contains(m, "expected a protected boot, but it is INSECURE: protected module absent_mod failed with ENOENT",
                "dmesg, lines about absent_mod and every warning or error:",
                "pkvm: failed to load module absent_mod: ENOENT (-2); the system is insecure");
        m = failure(() -> assertThat(kernel).isInsecure("pkvm_driver", Errno.ENOENT));
        contains(m, "expected an insecure boot because pkvm_driver failed with ENOENT (-2), but it is INSECURE: protected module absent_mod");
        m = failure(() -> assertThat(kernel.log()).hasNoErrorLines());
        contains(m, "expected no error lines in the kernel log, but found some", "dmesg, errors:",
                "failed to load module absent_mod");
    }

    @Test
    @PkvmBoot(cmdline = "kvm-arm.mode=nvhe")
    void aBareReportQuotesTheReport(BootReport report) {
        String m = failure(() -> assertThat(report).deprivileged());
        contains(m, "expected the host to be deprivileged on every CPU, but it is not",
                "boot report: cmdline \"kvm-arm.mode=nvhe nr_cpus=2 mem=256M\", modules [], unprotected: kvm-arm.mode=nvhe");
    }

    @Test
    void kernelLogChecks(KernelLog log) {
        assertThat(log).containsLineMatching("Booting pkvm4j on \\d+ CPUs")
                .containsEl2LineMatching("^pkvm_driver: EL2 init$")
                .containsLinesInOrder("Booting pkvm4j", "pkvm_driver: EL2 init", "protected mode finalized")
                .doesNotContainLineMatching("HYP panic")
                .hasNoErrorLines();
        String m = failure(() -> assertThat(log).containsLineMatching("no such line \\d"));
        contains(m, "expected a kernel log line matching /no such line \\d/, found none", "dmesg:", "Booting pkvm4j on 2 CPUs");
        m = failure(() -> assertThat(log).containsLinesInOrder("protected mode finalized", "Booting pkvm4j"));
        contains(m, "the first 1 matched up to line", "/Booting pkvm4j/ only matches before that", "dmesg from line",
                "protected mode finalized");
        m = failure(() -> assertThat(log).containsLinesInOrder("Booting pkvm4j", "never printed"));
        contains(m, "/never printed/ matches no line");
        m = failure(() -> assertThat(log).doesNotContainLineMatching("Booting"));
        contains(m, "expected no kernel log line matching /Booting/, but found", "dmesg, matching lines:", "Booting pkvm4j on 2 CPUs");
        m = failure(() -> assertThat(log).containsEl2LineMatching("Booting pkvm4j"));
        contains(m, "expected a hyp console (EL2) line matching /Booting pkvm4j/", "dmesg, EL2 lines:", "EL2: pkvm_driver: EL2 init");
    }
}
