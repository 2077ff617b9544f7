package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Ffa;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.Trng;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.machine.HostHcall;

/**
 * The bundled {@code smc_filter} with another module: the filter sees the host's SMCs only, never a
 * guest's. The module alone (allow-list, masking, permissive mode) is tested in its own build:
 * {@code vendor-modules/smc-filter/el1/src/test/java/acme/smc_filter/SmcFilterIT.java}.
 */
class SmcFilterIT {
    private static final int IOCTL_DENIED = 1;
    private static final int IOCTL_SERVED = 1;

    /**
     * Scenario: smc_filter and guest_trng load; the host's FFA_ID_GET is denied at EL2, while a
     * protected guest's TRNG calls are answered by guest_trng and never counted by the filter.
     */
    @Test
    void theHostFilterDoesNotSeeGuestSmcs() {
        HostKernel kernel = Devices.bootBundled("smc_filter", "guest_trng");
        assertEquals(Smccc.RET_NOT_SUPPORTED, kernel.smcGateway().smc(Ffa.ID_GET, 0, 0, 0).a0());
        assertEquals(1, kernel.ioctl("smc_filter", IOCTL_DENIED, 0));
        long[] x0 = new long[2];
        kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED).createVcpu(0).run(cpu -> {
            x0[0] = cpu.smc(Trng.RND64, 64, 0, 0).a0();
            x0[1] = cpu.smc(0xC200_0001L, 0, 0, 0).a0();
        });
        assertEquals(Smccc.RET_SUCCESS, x0[0]);
        assertEquals(Smccc.RET_NOT_SUPPORTED, x0[1], "no guest SMC handler claims it");
        assertEquals(1, kernel.ioctl("smc_filter", IOCTL_DENIED, 0), "the guest's calls never reached the host filter");
    }

    /**
     * Scenario: a guest's SMC is its running vCPU's. A non-protected guest's TRNG call is left to the
     * host's KVM (NOT_SUPPORTED here) and reaches neither guest_trng nor the filter; a world switch
     * with no loaded vCPU is -EINVAL and reaches nothing either, though x1 names a protected VM.
     */
    @Test
    void aGuestSmcGoesWhereItsRunningVcpuSays() {
        HostKernel kernel = Devices.bootBundled("smc_filter", "guest_trng");
        KvmVm isProtected = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        long[] x0 = new long[1];
        kernel.kvm().createVm(0).createVcpu(0).run(cpu -> x0[0] = cpu.smc(Trng.RND64, 64, 0, 0).a0());
        assertEquals(Smccc.RET_NOT_SUPPORTED, x0[0], "the host answered a non-protected guest");
        long[] r = kernel.gateway().hvcX0ToX5(Smccc.kvmHostSmcccId(HostHcall.PKVM_VCPU_GUEST_SMC.id()),
                isProtected.handle(), Trng.RND64, 64, 0, 0);
        assertEquals(Errno.EINVAL.negated(), r[1], "no loaded vCPU, whatever x1 names");
        assertEquals(0, kernel.ioctl("guest_trng", IOCTL_SERVED, 0));
        assertEquals(0, kernel.ioctl("smc_filter", IOCTL_DENIED, 0));
    }
}
