package acme.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.testkit.PkvmBoot;

/** hello_el1, an ordinary EL1-only module, loaded from the file this build produced. */
@PkvmBoot(cmdline = "kvm-arm.mode=protected hello_el1.greeting=hi-from-the-test", modules = "${pkvm4j.module.file}")
class HelloIT {
    /** Scenario: not a pKVM module, it still loads after deprivilege, with its command-line parameter. */
    @Test
    void loadsAfterDeprivilege(HostKernel kernel) {
        assertThat(kernel).isProtected().deprivileged().doesNotHaveModule("hello_el1");
        LoadedModule hello = kernel.modprobe("hello_el1");
        assertFalse(hello.isPkvmModule());
        assertThat(kernel.log()).containsLineMatching("^hello_el1: hi-from-the-test$").hasNoErrorLines();
        assertEquals(0, kernel.ioctl("hello", MiscDevice.IOCTL_SELFTEST, 0));
    }

    /** Scenario: listed in kvm-arm.protected_modules=, it loads at boot and leaves the system protected. */
    @Test
    @PkvmBoot(modules = "${pkvm4j.module.file}")
    void loadsAtBootToo(HostKernel kernel) {
        assertThat(kernel).isProtected().hasModule("hello_el1").deprivileged();
        assertThat(kernel.log()).containsLineMatching("^hello_el1: hello from EL1$");
    }
}
