package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.host.BootFault.Kind.EL1_INIT;
import static org.pkvm4j.host.BootFault.Kind.EL2_INIT;
import static org.pkvm4j.host.BootFault.Kind.LATE;
import static org.pkvm4j.host.BootFault.Kind.REGISTER;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;

/**
 * {@link InjectFault} and {@link PkvmDevice.Builder#faults} on the bundled {@code pkvm_driver} and
 * {@code kvstore}, loaded from their files: each fault kind, and the boot-order checks of its outcome.
 */
@ExtendWith(BundledModulesBuilt.class)
@PkvmBoot(modules = {"${pkvm4j.testkit.modules}/pkvm_driver.jar", "${pkvm4j.testkit.modules}/kvstore.jar"})
class InjectFaultTest {

    @Test
    void withoutAFaultBothModulesAnswerAndProtectedVmsStart(HostKernel kernel) {
        assertThat(kernel).isProtected().hvcAnswers("pkvm_driver", 0).hvcAnswers("kvstore", 0).hvcAnswers("kvstore", 3)
                .noHvcAnswers("absent_mod").protectedVmsAllowed();
        assertTrue(kernel.log().lines().stream().noneMatch(l -> l.contains("fault injection")));
    }

    @Test
    @InjectFault(module = "kvstore", kind = EL1_INIT, errno = Errno.ENODEV)
    void el1InitFails(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isInsecure("kvstore", Errno.ENODEV).doesNotHaveModule("kvstore").hvcAnswers("pkvm_driver", 0)
                .noHvcAnswers("kvstore").protectedVmsRefused().deprivileged();
        assertThat(log).containsLineMatching("fault injection: kvstore: EL1 init fails with ENODEV \\(-19\\) after it ran");
    }

    @Test
    @InjectFault(module = "kvstore", kind = EL2_INIT, errno = Errno.EINVAL)
    void el2InitFails(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isInsecure("kvstore", Errno.EINVAL).hasModule("pkvm_driver", 1).noHvcAnswers("kvstore")
                .hvcAnswers("pkvm_driver", 0).protectedVmsRefused();
        assertThat(log).containsLineMatching("fault injection: kvstore: __pkvm_init_module returns EINVAL \\(-22\\)");
    }

    @Test
    @InjectFault(module = "pkvm-driver", kind = EL2_INIT)
    void theErrnoDefaultsPerKindAndTheListStopsAtTheFailedModule(HostKernel kernel) {
        assertThat(kernel).isInsecure("pkvm_driver", Errno.EINVAL).doesNotHaveModule("kvstore").noHvcAnswers("pkvm_driver")
                .noHvcAnswers("kvstore").protectedVmsRefused();
    }

    @Test
    @InjectFault(module = "kvstore", kind = REGISTER, nth = 3)
    void theThirdRegistrationFails(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isInsecure("kvstore", Errno.ENOMEM).noHvcAnswers("kvstore").hvcAnswers("pkvm_driver", 0)
                .protectedVmsRefused();
        assertThat(log).containsLineMatching("fault injection: kvstore: __pkvm_register_hcall #3 returns ENOMEM \\(-12\\)");
    }

    @Test
    @InjectFault(module = "kvstore", kind = LATE)
    void aLateLoadLeavesADeviceProtectedButWithoutTheModule(HostKernel kernel) {
        assertThat(kernel).isProtected().doesNotHaveModule("kvstore").lateLoadRefused("kvstore", Errno.EOPNOTSUPP)
                .noHvcAnswers("kvstore").hvcAnswers("pkvm_driver", 0).protectedVmsAllowed();
        assertEquals("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore nr_cpus=2 mem=256M",
                kernel.bootReport().cmdline(), "the kit's command line; the fault takes kvstore out of the list");
    }

    @Test
    @InjectFault(module = "kvstore", kind = LATE)
    @InjectFault(module = "pkvm_driver", kind = EL1_INIT, errno = Errno.EIO)
    void faultsRepeat(HostKernel kernel) {
        assertThat(kernel).isInsecure("pkvm_driver", Errno.EIO).lateLoadRefused("kvstore", Errno.EOPNOTSUPP)
                .noHvcAnswers("pkvm_driver").noHvcAnswers("kvstore").protectedVmsRefused();
    }

    @Test
    void theBuilderTakesAPlan() {
        try (PkvmDevice device = PkvmDevice.builder()
                .module(Path.of(System.getProperty(BundledModulesBuilt.MODULES), "pkvm_driver.jar"))
                .module(Path.of(System.getProperty(BundledModulesBuilt.MODULES), "kvstore.jar"))
                .faults(FaultPlan.of(new BootFault.HcallRegistrationFails("kvstore", 1, Errno.EBUSY)))
                .boot()) {
            assertThat(device).isInsecure("kvstore", Errno.EBUSY).noHvcAnswers("kvstore").protectedVmsRefused();
        }
    }

    /** The class's faults apply to each test, after the method's. */
    @Nested
    @InjectFault(module = "kvstore", kind = EL1_INIT)
    class OnAClass {
        @Test
        void applyToEveryTest(HostKernel kernel) {
            assertThat(kernel).isInsecure("kvstore", Errno.ENODEV).hasModule("pkvm_driver");
        }

        @Test
        @InjectFault(module = "pkvm_driver", kind = EL2_INIT, errno = Errno.EIO)
        void addToTheMethodsOwn(HostKernel kernel) {
            assertThat(kernel).isInsecure("pkvm_driver", Errno.EIO);
            assertThat(kernel.log()).containsLinesInOrder("fault injection armed: pkvm_driver: EL2 init fails with EIO",
                    "fault injection armed: kvstore: EL1 init fails with ENODEV");
            assertEquals(List.of(), kernel.lsmod(), "the list stopped at pkvm_driver, before kvstore's fault could fire");
        }
    }
}
