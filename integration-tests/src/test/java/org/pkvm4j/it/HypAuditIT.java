package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.hvc.SmcGateway;
import org.pkvm4j.host.kmi.Kmi;
import org.pkvm4j.machine.CpuPin;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.Machine;

/**
 * The bundled hyp_audit module (android14-5.15) from its real module file, on an android14-5.15
 * device: its four {@code kvm_cpu_context} callbacks (host SMC, PSCI, default trap, panic) see the
 * host's SMCs, power events and {@code ACTLR_EL1} accesses; the same file is refused on the default
 * android16-6.12 device.
 */
class HypAuditIT {
    private static final long SIP_AUDIT_STATS = 0xC200_0A00L;
    private static final long ACTLR_VALUE = 0x1A2BL;
    private static final long OTHER_SIP_CALL = 0xC200_0001L;
    private static final int READ_ACTLR = 1;
    private static final int WRITE_ACTLR = 2;

    private static HostKernel boot(Kmi kmi) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "hyp_audit");
        return HostKernel.boot(BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=hyp_audit nr_cpus=4 mem=64M",
                initramfs).withKmi(kmi));
    }

    private static List<Long> stats(SmcGateway smc) {
        SmcccRes res = smc.smc(SIP_AUDIT_STATS, 0, 0, 0);
        assertEquals(Smccc.RET_SUCCESS, res.a0());
        return List.of(res.a1(), res.a2(), res.a3());
    }

    /**
     * Scenario: on android14-5.15 the module loads; host SMCs that pass the PSCI relay reach its
     * handler and go on to the firmware; PSCI power events reach its notifier; ACTLR_EL1 reads trap on
     * every CPU and read the vendor's value.
     */
    @Test
    void auditsSmcsPsciAndActlrOnAndroid14515() {
        HostKernel kernel = boot(Kmi.ANDROID14_5_15);
        assertInstanceOf(SecurityState.Protected.class, kernel.securityState(), kernel.securityState()::toString);
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("KMI android14-5.15")), "the hypervisor knows its KMI");
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("hyp_audit: EL2 audit ready (android14-5.15 callbacks)")),
                kernel.log().lines()::toString);
        SmcGateway smc = kernel.smcGateway();
        assertEquals(List.of(0L, 0L, 0L), stats(smc));

        assertEquals(Smccc.RET_NOT_SUPPORTED, smc.smc(OTHER_SIP_CALL, 0, 0, 0).a0(), "forwarded: the firmware answers");
        assertEquals(Psci.VERSION_1_1, smc.smc(Psci.VERSION, 0, 0, 0).a0(), "PSCI is the relay's, never the module's");
        assertEquals(0x77, smc.smc(Psci.CPU_SUSPEND, Psci.POWER_STATE_TYPE_POWER_DOWN, Dram.BASE, 0x77).a0());
        assertEquals(List.of(1L, 2L, 0L), stats(smc), "one SMC; CPU_SUSPEND and CPU_ENTRY");

        Machine machine = kernel.machine();
        for (int cpu = 0; cpu < machine.nrCpus(); cpu++) {
            try (CpuPin _ = machine.pinCurrentThread(cpu)) {
                assertEquals(ACTLR_VALUE, kernel.ioctl("hyp_audit", READ_ACTLR, 0), "CPU" + cpu);
            }
        }
        assertEquals(4L, stats(smc).get(2), "one emulated read per CPU");
        assertTrue(kernel.panic().isEmpty());
    }

    /**
     * Scenario: an ACTLR_EL1 write is left unhandled: pKVM panics, after the module's panic notifier
     * printed the host's context of that trap.
     */
    @Test
    void anActlrWriteIsAHypPanicAfterTheNotifier() {
        HostKernel kernel = boot(Kmi.ANDROID14_5_15);
        assertThrows(HypPanicException.class, () -> kernel.ioctl("hyp_audit", WRITE_ACTLR, 0xFF));
        HypPanic panic = kernel.panic().orElseThrow();
        assertTrue(panic.reason().contains("unhandled trap of the host's MSR ACTLR_EL1"), panic.reason());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.matches(".*hyp_audit: hyp panic on CPU\\d, host x0=0xff$")),
                kernel.log().lines()::toString);
    }

    /** Scenario: the same module file on the default android16-6.12 device is refused as built for another kernel. */
    @Test
    void isRefusedOnAndroid16612() {
        HostKernel kernel = boot(Kmi.ANDROID16_6_12);
        SecurityState.Insecure insecure = assertInstanceOf(SecurityState.Insecure.class, kernel.securityState());
        assertEquals(Errno.ENOEXEC, insecure.errno(), insecure.reason());
        assertEquals(ErrorCode.LOAD_KMI_MISMATCH, insecure.code());
        assertTrue(insecure.reason().contains("hyp_audit: KMI 'android14-5.15' should be 'android16-6.12'"), insecure.reason());
    }
}
