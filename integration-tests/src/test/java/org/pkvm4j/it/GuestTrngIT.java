package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.Trng;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;

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

    /** Scenario: without a TRNG module a protected guest's TRNG call is NOT_SUPPORTED. */
    @Test
    void withoutTheModuleTheGuestHasNoTrng() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        assertEquals(Smccc.RET_NOT_SUPPORTED, rnd64(kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED)));
    }
}
