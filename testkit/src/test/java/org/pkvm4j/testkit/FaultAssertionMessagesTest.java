package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.host.BootFault.Kind.EL2_INIT;
import static org.pkvm4j.host.BootFault.Kind.LATE;
import static org.pkvm4j.host.BootFault.Kind.REGISTER;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;

/** The boot-order assertions pass on a device that satisfies them and fail with what the device did instead. */
@ExtendWith(BundledModulesBuilt.class)
@PkvmBoot(modules = {"${pkvm4j.testkit.modules}/pkvm_driver.jar", "${pkvm4j.testkit.modules}/kvstore.jar"})
class FaultAssertionMessagesTest {
    private static String failure(Executable assertion) {
        return assertThrows(AssertionFailedError.class, assertion).getMessage();
    }

    private static void contains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "no \"" + part + "\" in:\n" + message);
        }
    }

    @Test
    void onAProtectedDevice(HostKernel kernel) {
        contains(failure(() -> assertThat(kernel).noHvcAnswers("kvstore")),
                "expected no HVC of kvstore to answer, but it is loaded and ids [129, 130, 131, 132] of [129, 130, 131, 132] answer",
                "dmesg, lines about kvstore");
        contains(failure(() -> assertThat(kernel).hvcAnswers("kvstore", 4)),
                "expected HVC 4 of kvstore to answer, but it registered 4 handler(s) [129, 130, 131, 132]");
        contains(failure(() -> assertThat(kernel).hvcAnswers("percpu_counter", 0)),
                "expected HVC 0 of percpu_counter to answer, but percpu_counter is not loaded (lsmod: [pkvm_driver, kvstore])");
        contains(failure(() -> assertThat(kernel).protectedVmsRefused()),
                "expected protected VMs to be refused, but createVm(KVM_VM_TYPE_ARM_PROTECTED) succeeded (protected");
        contains(failure(() -> assertThat(kernel).lateLoadRefused("kvstore", Errno.EOPNOTSUPP)),
                "expected a late load of kvstore refused with EOPNOTSUPP (-95), but the late loads are []");
    }

    @Test
    @InjectFault(module = "kvstore", kind = EL2_INIT, errno = Errno.EIO)
    void onAnInsecureDevice(HostKernel kernel) {
        assertThat(kernel).isInsecure("kvstore", Errno.EIO).protectedVmsRefused();
        contains(failure(() -> assertThat(kernel).protectedVmsAllowed()),
                "expected a protected VM to start, but createVm(KVM_VM_TYPE_ARM_PROTECTED) failed with EPERM (-1)",
                "dmesg, lines about kvstore and every warning or error:",
                "fault injection: kvstore: __pkvm_init_module returns EIO (-5)");
        contains(failure(() -> assertThat(kernel).hvcAnswers("kvstore", 0)), "but kvstore is not loaded (lsmod: [pkvm_driver])");
        contains(failure(() -> assertThat(kernel).isInsecure("kvstore", Errno.EINVAL)),
                "expected an insecure boot because kvstore failed with EINVAL (-22), but it is INSECURE: protected module kvstore failed with EIO");
    }

    @Test
    @InjectFault(module = "kvstore", kind = LATE)
    void onALateLoad(HostKernel kernel) {
        contains(failure(() -> assertThat(kernel).lateLoadRefused("kvstore", Errno.EPERM)),
                "expected the late load of kvstore to be refused with EPERM (-1), but it was refused with EOPNOTSUPP (-95): ");
    }

    @Test
    @InjectFault(module = "kvstore", kind = REGISTER, nth = 2)
    void aBareReportCannotBeAskedForHvcs(HostKernel kernel) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> assertThat(kernel.bootReport()).noHvcAnswers("kvstore"));
        assertEquals("noHvcAnswers asks the device: use assertThat(kernel) or assertThat(device), not assertThat(report)",
                e.getMessage());
        assertThat(kernel).isInsecure("kvstore", Errno.ENOMEM).noHvcAnswers("kvstore");
    }
}
