package acme.smc_filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.pkvm4j.testkit.PkvmAssertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Ffa;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.hvc.SmcGateway;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.testkit.PkvmBoot;

/**
 * smc_filter, loaded from the file this build produced: the host's SMCs pass its allow-list at EL2
 * after pKVM's PSCI relay and FF-A proxy; an allowed call reaches the firmware or the entry's
 * callback, any other is answered NOT_SUPPORTED at EL2, or, with {@code smc_filter.permissive=1},
 * logged on the hyp console and forwarded.
 */
@PkvmBoot(modules = "${pkvm4j.module.file}")
class SmcFilterIT {
    private static final long SIP_CALL_COUNT = 0x8200_FF00L;
    private static final long OTHER_SIP_CALL = 0xC200_0001L;
    /** The masked ids allowed (SMCCC_VERSION, ARCH_FEATURES, FFA_VERSION, FFA_FEATURES, the SiP call count). */
    private static final long ALLOWED = 5;

    private static long ioctl(HostKernel kernel, int cmd) {
        return kernel.ioctl("smc_filter", cmd, 0);
    }

    /** Scenario: the module loads enforcing, and says so at EL1 and EL2. */
    @Test
    void loadsEnforcing(HostKernel kernel, KernelLog log) {
        assertThat(kernel).isProtected().hasModule("smc_filter", 1).deprivileged();
        assertThat(log).containsLineMatching("pKVM SMC filter loaded \\(permissive=N\\)")
                .containsEl2LineMatching("^smc_filter: EL2 filter of 5 SMCs$").hasNoErrorLines();
        assertEquals(0, ioctl(kernel, SmcFilter.IOCTL_PERMISSIVE));
    }

    /**
     * Scenario: allowed calls reach the firmware, whatever their calling-convention and SVE-hint bits;
     * the allow-list's callback answers the SiP call count at EL2; a call off the list (FFA_ID_GET, which
     * the firmware would answer) is NOT_SUPPORTED and counted.
     */
    @Test
    void allowsTheListAndDeniesTheRest(HostKernel kernel) {
        SmcGateway smc = kernel.smcGateway();
        assertEquals(Smccc.VERSION_1_2, smc.smc(Smccc.VERSION_FUNC_ID, 0, 0, 0).a0());
        assertEquals(Smccc.VERSION_1_2, smc.smc(Smccc.VERSION_FUNC_ID | Smccc.CALL_HINTS, 0, 0, 0).a0(), "the SVE hint is masked");
        assertEquals(Ffa.VERSION_1_1, smc.smc(Ffa.VERSION, Ffa.VERSION_1_1, 0, 0).a0());
        SmcccRes count = smc.smc(SIP_CALL_COUNT | Smccc.SMC64, 0, 0, 0);
        assertEquals(List.of(Smccc.RET_SUCCESS, ALLOWED), List.of(count.a0(), count.a1()), "bit 30 is masked, the callback answers");
        assertEquals(0, ioctl(kernel, SmcFilter.IOCTL_DENIED));

        assertEquals(Smccc.RET_NOT_SUPPORTED, smc.smc(Ffa.ID_GET, 0, 0, 0).a0());
        assertEquals(Smccc.RET_NOT_SUPPORTED, smc.smc(OTHER_SIP_CALL, 0, 0, 0).a0());
        assertEquals(2, ioctl(kernel, SmcFilter.IOCTL_DENIED));
    }

    /** Scenario: PSCI and FF-A memory sharing are pKVM's own, ahead of the filter: never denied. */
    @Test
    void psciAndFfaMemoryCallsNeverReachTheFilter(HostKernel kernel) {
        SmcGateway smc = kernel.smcGateway();
        assertEquals(Psci.VERSION_1_1, smc.smc(Psci.VERSION, 0, 0, 0).a0());
        SmcccRes share = smc.smc(Ffa.MEM_SHARE, 0, 0, Dram.BASE + 0x0100_0000L, 1);
        assertEquals(Ffa.SUCCESS, share.a0());
        assertEquals(Ffa.SUCCESS, smc.smc(Ffa.MEM_RECLAIM, share.a2(), 0, 0).a0());
        assertEquals(0, ioctl(kernel, SmcFilter.IOCTL_DENIED));
    }

    /** Scenario: permissive, a call off the list is logged on the hyp console and forwarded to the firmware. */
    @Test
    @PkvmBoot(modules = "${pkvm4j.module.file}",
            cmdline = "kvm-arm.mode=protected kvm-arm.protected_modules=smc_filter smc_filter.permissive=1")
    void permissiveLogsAndForwards(HostKernel kernel, KernelLog log) {
        assertThat(log).containsLineMatching("pKVM SMC filter loaded \\(permissive=Y\\)")
                .containsEl2LineMatching("^smc_filter: EL2 filter of 5 SMCs, permissive$");
        assertEquals(1, ioctl(kernel, SmcFilter.IOCTL_PERMISSIVE));
        SmcccRes id = kernel.smcGateway().smc(Ffa.ID_GET, 0, 0, 0);
        assertEquals(Ffa.SUCCESS, id.a0(), "the firmware answered");
        assertThat(log).containsEl2LineMatching("^smc_filter: permissive: SMC 0x84000069 not allowed, forwarded$");
        assertEquals(List.of(0L, 1L), List.of(ioctl(kernel, SmcFilter.IOCTL_DENIED), ioctl(kernel, SmcFilter.IOCTL_LOGGED)));
    }
}
