package acme.percpu_counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.testkit.Module;
import org.pkvm4j.testkit.ModuleHvcs;
import org.pkvm4j.testkit.PkvmBoot;

/** percpu_counter (kvm_cpu_context handlers, android14-5.15), loaded from the file this build produced. */
@PkvmBoot(modules = "${pkvm4j.module.file}", nrCpus = 4)
class PercpuCounterIT {
    private static final int INC = 0;
    private static final int READ = 1;
    private static final int SUM = 2;

    /** Scenario: one counter per CPU, announced on the hyp console. */
    @Test
    void loads(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("percpu_counter", 3).deprivileged();
        assertThat(log).containsEl2LineMatching("percpu_counter: 4 per-CPU counters");
    }

    /** Scenario: an increment counts on the CPU that took the trap; the sum sees it; a CPU out of range is EINVAL. */
    @Test
    void countsPerCpu(@Module("percpu_counter") ModuleHvcs counter) {
        SmcccRes first = counter.callSmccc(INC, 0, 0, 0);
        assertEquals(1, first.a1());
        long cpu = first.a2();
        assertTrue(cpu >= 0 && cpu < 4, "CPU " + cpu);
        assertEquals(1, counter.call(READ, cpu));
        assertEquals(1, counter.call(SUM));
        assertEquals(Errno.EINVAL.negated(), counter.call(READ, 4));
    }

    /** Scenario: the module's own selftest through /dev/percpu_counter. */
    @Test
    void selftest(HostKernel kernel) {
        assertEquals(202, kernel.ioctl("percpu_counter", MiscDevice.IOCTL_SELFTEST, 0));
        assertEquals(100, kernel.ioctl("percpu_counter", PercpuCounter.IOCTL_SUM, 0));
    }

    /** Scenario: on a device booted as android14-5.15, the KMI of its kvm_cpu_context handlers. */
    @Test
    @PkvmBoot(modules = "${pkvm4j.module.file}", nrCpus = 4,
            cmdline = "kvm-arm.mode=protected kvm-arm.protected_modules=percpu_counter pkvm.kmi=android14-5.15")
    void bootsOnAndroid14515(HostKernel kernel) {
        assertEquals("android14-5.15", kernel.cmdline().kmi().branch());
        assertThat(kernel).isProtected().hasModule("percpu_counter", 3).deprivileged();
        assertEquals(202, kernel.ioctl("percpu_counter", MiscDevice.IOCTL_SELFTEST, 0));
        assertEquals(100, kernel.ioctl("percpu_counter", PercpuCounter.IOCTL_SUM, 0));
    }
}
