package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Ffa;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.hvc.SmcGateway;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.SystemPower;

/**
 * The host's SMCs on a booted, deprivileged device: PSCI through the hypervisor's relay, FF-A memory
 * sharing through its proxy into the host stage-2, and a power-off that leaves the pVM firmware
 * poisoned.
 */
class HostSmcIT {
    /** Scenario: CPU1 goes off (it takes no trap), comes back with CPU_ON, and answers again. */
    @Test
    void cpuOffAndOnThroughTheRelay() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        SmcGateway smc = kernel.smcGateway();
        assertEquals(Psci.RET_SUCCESS, smc.cpuOff(1));
        assertFalse(kernel.machine().cpus().get(1).isOn());
        assertThrows(IllegalStateException.class, () -> smc.smcOn(1, Smccc.VERSION_FUNC_ID, 0, 0, 0));
        assertEquals(Psci.RET_SUCCESS, smc.cpuOn(0, 1, Dram.BASE, 0x42));
        assertEquals(Psci.RET_ALREADY_ON, smc.cpuOn(0, 1, Dram.BASE, 0x42));
        assertEquals(Smccc.VERSION_1_2, smc.smcOn(1, Smccc.VERSION_FUNC_ID, 0, 0, 0).a0());
        assertTrue(kernel.panic().isEmpty());
    }

    /**
     * Scenario: the host shares a page with the secure world through FF-A; while shared, giving it to
     * the hypervisor fails (it is SHARED_OWNED); after the reclaim it is the host's alone again.
     */
    @Test
    void ffaShareReachesTheHostStage2() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        long pa = Dram.BASE + 0x0200_0000L;
        SmcccRes share = kernel.smcGateway().smc(Ffa.MEM_SHARE, 0, 0, pa, 1);
        assertEquals(Ffa.SUCCESS, share.a0());
        assertEquals(1, kernel.machine().secureWorldShares().size());
        kernel.machine().hostMemory().store64(pa, 5); // still the host's: it may write
        SmcccRes again = kernel.smcGateway().smc(Ffa.MEM_LEND, 0, 0, pa, 1);
        assertEquals(Ffa.RET_DENIED, again.a2());
        assertEquals(Ffa.SUCCESS, kernel.smcGateway().smc(Ffa.MEM_RECLAIM, share.a2(), 0, 0).a0());
        assertTrue(kernel.machine().secureWorldShares().isEmpty());
    }

    /** Scenario: power-off poisons the pVM firmware and switches every CPU off. */
    @Test
    void powerOffPoisonsThePvmfw() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        Machine machine = kernel.machine();
        long pvmfw = machine.pvmfwBase();
        machine.hostMemory().store64(pvmfw, 0x77_66_6d_76_70L);
        assertEquals(Psci.RET_SUCCESS, kernel.powerOff());
        assertEquals(SystemPower.OFF, machine.systemPower());
        assertEquals(0xDEAD_DEAD_DEAD_DEADL, machine.hostMemory().load64(pvmfw));
        assertEquals(0xDEAD_DEAD_DEAD_DEADL, machine.hostMemory().load64(pvmfw + Machine.PVMFW_SIZE - 8));
        assertThrows(IllegalStateException.class, () -> kernel.smcGateway().smc(Smccc.VERSION_FUNC_ID, 0, 0, 0));
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("reboot: Power down")));
    }
}
