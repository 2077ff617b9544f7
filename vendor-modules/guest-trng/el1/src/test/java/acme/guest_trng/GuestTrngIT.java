package acme.guest_trng;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.Trng;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.testkit.PkvmBoot;

/**
 * guest_trng, loaded from the file this build produced: a protected guest's SMCCC TRNG calls are
 * answered at EL2 from the module's back end (its UUID, entropy masked to the bits asked for); a
 * non-protected guest's SMC goes to the host, which has no TRNG service for it.
 */
@PkvmBoot(modules = "${pkvm4j.module.file}")
class GuestTrngIT {
    /** Scenario: the module loads and registers its ops at EL2. */
    @Test
    void loads(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("guest_trng", 1).deprivileged();
        assertThat(log).containsLineMatching("TRNG for protected guests loaded")
                .containsEl2LineMatching("^guest_trng: TRNG for protected guests registered$").hasNoErrorLines();
    }

    /** Scenario: a protected guest asks for the version, features, UUID and two draws of entropy. */
    @Test
    void aProtectedGuestGetsEntropyFromTheModule(HostKernel kernel) {
        KvmVm vm = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        List<SmcccRes> answers = new ArrayList<>();
        vm.createVcpu(0).run(cpu -> {
            answers.add(cpu.smc(Trng.VERSION, 0, 0, 0));
            answers.add(cpu.smc(Trng.FEATURES, Trng.RND64, 0, 0));
            answers.add(cpu.smc(Trng.GET_UUID, 0, 0, 0));
            answers.add(cpu.smc(Trng.RND64, 192, 0, 0));
            answers.add(cpu.smc(Trng.RND64, 192, 0, 0));
            answers.add(cpu.smc(Trng.RND64, 20, 0, 0));
            answers.add(cpu.smc(Trng.RND64, 0, 0, 0));
        });
        assertEquals(Trng.VERSION_1_0, answers.get(0).a0());
        assertEquals(Smccc.RET_SUCCESS, answers.get(1).a0());
        SmcccRes uuid = answers.get(2);
        assertEquals(List.of(0x5C3E_3A56L, 0x7A2F_4C1EL, 0x9B8D_2F0EL, 0x6D4A_1B37L), List.of(uuid.a0(), uuid.a1(), uuid.a2(), uuid.a3()));
        SmcccRes first = answers.get(3);
        SmcccRes second = answers.get(4);
        assertEquals(List.of(Smccc.RET_SUCCESS, Smccc.RET_SUCCESS), List.of(first.a0(), second.a0()));
        assertNotEquals(List.of(first.a1(), first.a2(), first.a3()), List.of(second.a1(), second.a2(), second.a3()),
                "two draws of 192 bits");
        SmcccRes small = answers.get(5);
        assertEquals(List.of(0L, 0L, 0L), List.of(small.a0(), small.a1(), small.a2()), "20 bits: only x3 carries them");
        assertEquals(0, small.a3() >>> 20);
        assertEquals(-2, answers.get(6).a0(), "TRNG_INVALID_PARAMETER for 0 bits");
        assertEquals(3, kernel.ioctl("guest_trng", GuestTrng.IOCTL_SERVED, 0));
    }

    /** Scenario: a non-protected guest's TRNG call is the host's, which answers NOT_SUPPORTED. */
    @Test
    void aNonProtectedGuestIsNotServedAtEl2(HostKernel kernel) {
        KvmVm vm = kernel.kvm().createVm(0);
        long[] x0 = new long[1];
        vm.createVcpu(0).run(cpu -> x0[0] = cpu.smc(Trng.RND64, 64, 0, 0).a0());
        assertEquals(Smccc.RET_NOT_SUPPORTED, x0[0]);
        assertEquals(0, kernel.ioctl("guest_trng", GuestTrng.IOCTL_SERVED, 0));
    }
}
