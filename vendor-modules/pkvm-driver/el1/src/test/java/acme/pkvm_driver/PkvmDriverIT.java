package acme.pkvm_driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.testkit.Module;
import org.pkvm4j.testkit.ModuleHvcs;
import org.pkvm4j.testkit.PkvmBoot;

/** The Android page's example module, loaded from the file this build produced. */
@PkvmBoot(modules = "${pkvm4j.module.file}")
class PkvmDriverIT {
    /** Scenario: listed in kvm-arm.protected_modules=, it loads its EL2 part before deprivilege. */
    @Test
    void loadsBeforeDeprivilege(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("pkvm_driver", 1).deprivileged().hasNoPanic();
        assertThat(log).containsLinesInOrder("pkvm_driver: EL2 init", "pkvm_driver: EL2 handler registered as HVC 128",
                "protected mode finalized").hasNoErrorLines();
        assertThat(log).containsEl2LineMatching("^pkvm_driver: EL2 init$");
    }

    /** Scenario: pkvm_el2_mod_call(hvc_number) answers SUCCESS with x1 = 0, from the test and from /dev/pkvm_driver. */
    @Test
    void theHandlerAnswersZero(HostKernel kernel, @Module("pkvm_driver") ModuleHvcs driver) {
        assertEquals(0, driver.call(0));
        assertEquals(0, driver.call(0, 99));
        assertEquals(1, kernel.ioctl("pkvm_driver", MiscDevice.IOCTL_SELFTEST, 0));
        assertEquals(0, kernel.ioctl("pkvm_driver", PkvmDriver.IOCTL_CALL, 5));
    }

    /** Scenario: not listed, it cannot load once the host is deprivileged. */
    @Test
    @PkvmBoot(cmdline = "kvm-arm.mode=protected", modules = "${pkvm4j.module.file}")
    void aLateLoadIsRefused(HostKernel kernel) {
        assertThat(kernel).isProtected().doesNotHaveModule("pkvm_driver").deprivileged();
        PkvmException e = assertThrows(PkvmException.class, () -> kernel.modprobe("pkvm_driver"));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
    }
}
