package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;

/** The bundled modules, booted from their real module files, end to end. */
class BundledDeviceIT {
    private static final long MODULE_VA_BASE = 0x0000_8000_0000_0000L;

    /**
     * Scenario: boot pkvm_driver and kvstore as protected modules; both load in order, get tokens
     * and HVC numbers from 128 up, the host is deprivileged and the system is secure.
     */
    @Test
    void bootsTheBundledModulesInOrderAndDeprivileges() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver", "kvstore");

        assertInstanceOf(SecurityState.Protected.class, kernel.securityState());
        assertTrue(kernel.bootReport().deprivileged());
        assertTrue(kernel.isDeprivileged());
        List<LoadedModule> modules = kernel.lsmod();
        assertEquals(List.of("pkvm_driver", "kvstore"), modules.stream().map(LoadedModule::name).toList());
        assertEquals(MODULE_VA_BASE, modules.get(0).token().orElseThrow().hypVa());
        assertTrue(modules.get(1).token().orElseThrow().hypVa() > MODULE_VA_BASE);
        assertEquals(List.of(new HvcNumber(128)), modules.get(0).hvcs());
        assertEquals(List.of(129, 130, 131, 132), modules.get(1).hvcs().stream().map(HvcNumber::id).toList());
        assertEquals(List.of(1, 2, 3, 4, 5), kernel.bootReport().steps().stream().map(s -> s.number()).toList());
        assertEquals(0, kernel.machine().moduleRam().placedCount(), "every placed EL2 image was taken");
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("EL2: pkvm_driver: EL2 init")),
                "the hyp console shows in dmesg, marked EL2");
    }

    /** Scenario: after deprivilege, userspace drives each module; its EL1 side calls EL2 and checks. */
    @Test
    void modulesAnswerThroughTheirHvcsAfterDeprivilege() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver", "kvstore");

        assertEquals(1, kernel.ioctl("pkvm_driver", MiscDevice.IOCTL_SELFTEST, 0));
        assertTrue(kernel.ioctl("kvstore", MiscDevice.IOCTL_SELFTEST, 0) > 64);
        kernel.ioctl("kvstore", 1, 7L << 32 | 49);
        assertEquals(49, kernel.ioctl("kvstore", 2, 7));
        kernel.ioctl("kvstore", 3, 7);
        PkvmException missing = assertThrows(PkvmException.class, () -> kernel.ioctl("kvstore", 2, 7));
        assertEquals(Errno.ENOENT, missing.errno());
    }

    /**
     * Scenario: percpu_counter uses the android14-5.15 handler ABI (kvm_cpu_context). Two threads
     * holding different CPUs increment at the same time; each counter belongs to one CPU and the
     * sum counts every increment.
     */
    @Test
    void kvmCpuContextHandlersRunPerCpu() throws Exception {
        HostKernel kernel = Devices.bootBundled("percpu_counter");
        assertTrue(kernel.ioctl("percpu_counter", MiscDevice.IOCTL_SELFTEST, 0) > 0);
        long before = kernel.ioctl("percpu_counter", 3, 0);
        int perThread = 5_000;
        CyclicBarrier start = new CyclicBarrier(2);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<?>> done = List.of(pool.submit(() -> increment(kernel, start, perThread)),
                    pool.submit(() -> increment(kernel, start, perThread)));
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertEquals(before + 2L * perThread, kernel.ioctl("percpu_counter", 3, 0));
        long perCpu = 0;
        int busyCpus = 0;
        for (int cpu = 0; cpu < kernel.machine().nrCpus(); cpu++) {
            long count = kernel.ioctl("percpu_counter", 2, cpu);
            perCpu += count;
            busyCpus += count > 0 ? 1 : 0;
        }
        assertEquals(before + 2L * perThread, perCpu, "no increment lost between CPUs");
        assertTrue(busyCpus >= 2, "two threads trapping at once run on two CPUs");
    }

    private static Void increment(HostKernel kernel, CyclicBarrier start, int times) throws Exception {
        start.await();
        for (int i = 0; i < times; i++) {
            kernel.ioctl("percpu_counter", 1, 0);
        }
        return null;
    }

    /** Scenario: with kvm-arm.mode left at its default, pKVM is off and no protected module loads. */
    @Test
    void withoutProtectedModeNothingIsLoadedAndTheSystemIsUnprotected() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        HostKernel kernel = Devices.boot("kvm-arm.protected_modules=pkvm_driver", initramfs);

        assertInstanceOf(SecurityState.Unprotected.class, kernel.securityState());
        assertFalse(kernel.securityState().allowsProtectedVms());
        assertTrue(kernel.lsmod().isEmpty());
        PkvmException e = assertThrows(PkvmException.class, () -> kernel.modprobe("pkvm_driver"));
        assertEquals(Errno.EOPNOTSUPP, e.errno(), "no EL2 module without kvm-arm.mode=protected");
    }
}
