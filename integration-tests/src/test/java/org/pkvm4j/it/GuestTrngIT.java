package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.Trng;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.machine.HostHcall;

/**
 * The bundled {@code guest_trng} serving two protected VMs, and a device without it. The module
 * alone is tested in its own build: {@code
 * vendor-modules/guest-trng/el1/src/test/java/acme/guest_trng/GuestTrngIT.java}.
 */
class GuestTrngIT {
    private static final int IOCTL_SERVED = 1;

    private static long rnd64(KvmVm vm) {
        long[] x0 = new long[1];
        vm.createVcpu(0).run(cpu -> x0[0] = cpu.smc(Trng.RND64, 128, 0, 0).a0());
        return x0[0];
    }

    /** Scenario: two protected VMs draw entropy from the one back end; the module counts both. */
    @Test
    void servesEveryProtectedVm() {
        HostKernel kernel = Devices.bootBundled("guest_trng");
        assertEquals(Smccc.RET_SUCCESS, rnd64(kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED)));
        assertEquals(Smccc.RET_SUCCESS, rnd64(kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED)));
        assertEquals(2, kernel.ioctl("guest_trng", IOCTL_SERVED, 0));
    }

    /**
     * Scenario: a guest's SMC traps while its vCPU runs, so it is the loaded vCPU's: two protected VMs
     * run at once on two CPUs and each is served; the same world switch with no vCPU loaded (outside
     * KVM_RUN) is -EINVAL and reaches no back end, whatever VM handle the host puts in x1.
     */
    @Test
    void aGuestSmcIsTheRunningVcpus() throws Exception {
        HostKernel kernel = Devices.bootBundled("guest_trng");
        KvmVm first = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        KvmVm second = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        CountDownLatch bothRunning = new CountDownLatch(2);
        long[] x0 = new long[2];
        Thread other = Thread.ofPlatform().start(() -> second.createVcpu(0).run(cpu -> {
            bothRunning.countDown();
            awaitQuietly(bothRunning);
            x0[1] = cpu.smc(Trng.RND64, 64, 0, 0).a0();
        }));
        first.createVcpu(0).run(cpu -> {
            bothRunning.countDown();
            awaitQuietly(bothRunning);
            x0[0] = cpu.smc(Trng.RND64, 64, 0, 0).a0();
        });
        other.join();
        assertEquals(List.of(Smccc.RET_SUCCESS, Smccc.RET_SUCCESS), List.of(x0[0], x0[1]));
        assertEquals(2, kernel.ioctl("guest_trng", IOCTL_SERVED, 0));

        long[] r = kernel.gateway().hvcX0ToX5(Smccc.kvmHostSmcccId(HostHcall.PKVM_VCPU_GUEST_SMC.id()), first.handle(),
                Trng.RND64, 64, 0, 0);
        assertEquals(Errno.EINVAL.negated(), r[1], "no loaded vCPU");
        assertEquals(2, kernel.ioctl("guest_trng", IOCTL_SERVED, 0), "the back end never ran for it");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            assertTrue(latch.await(30, TimeUnit.SECONDS), "the other vCPU never ran");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Scenario: without a TRNG module a protected guest's TRNG call is NOT_SUPPORTED. */
    @Test
    void withoutTheModuleTheGuestHasNoTrng() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        assertEquals(Smccc.RET_NOT_SUPPORTED, rnd64(kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED)));
    }
}
