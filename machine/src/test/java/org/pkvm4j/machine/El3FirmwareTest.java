package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Ffa;
import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;

/** The EL3 firmware as the host sees it with no EL2 vector installed, and as EL2 forwards to it. */
class El3FirmwareTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;

    private final Machine machine = new Machine(MachineConfig.defaults());

    /** One SMC on CPU {@code cpuId}; returns x0..x3. */
    private long[] smc(int cpuId, long fn, long a1, long a2, long a3, long a4) {
        Cpu cpu = machine.getCpu(cpuId);
        try {
            cpu.regs().set(0, fn);
            cpu.regs().set(1, a1);
            cpu.regs().set(2, a2);
            cpu.regs().set(3, a3);
            cpu.regs().set(4, a4);
            cpu.smc();
            return new long[] {cpu.regs().get(0), cpu.regs().get(1), cpu.regs().get(2), cpu.regs().get(3)};
        } finally {
            machine.putCpu(cpu);
        }
    }

    private long smc0(int cpuId, long fn, long a1, long a2, long a3) {
        return smc(cpuId, fn, a1, a2, a3, 0)[0];
    }

    @Test
    void answersTheSmcccVersionAndFeaturesAndNothingElse() {
        assertEquals(Smccc.VERSION_1_2, smc0(0, Smccc.VERSION_FUNC_ID, 0, 0, 0));
        assertEquals(Smccc.RET_SUCCESS, smc0(0, Smccc.ARCH_FEATURES_FUNC_ID, Psci.CPU_ON, 0, 0));
        assertEquals(Smccc.RET_SUCCESS, smc0(0, Smccc.ARCH_FEATURES_FUNC_ID, Ffa.MEM_SHARE, 0, 0));
        assertEquals(Smccc.RET_NOT_SUPPORTED, smc0(0, Smccc.ARCH_FEATURES_FUNC_ID, 0xC200_0001L, 0, 0));
        assertEquals(Smccc.RET_NOT_SUPPORTED, smc0(0, 0xC200_0001L, 0, 0, 0), "a SiP call nobody implements");
        assertEquals(Psci.VERSION_1_1, smc0(0, Psci.VERSION, 0, 0, 0));
        assertEquals(Psci.RET_SUCCESS, smc0(0, Psci.FEATURES, Psci.SYSTEM_SUSPEND, 0, 0));
        assertEquals(Psci.RET_NOT_SUPPORTED, smc0(0, Psci.FEATURES, Psci.VERSION + 0x1F, 0, 0));
    }

    @Test
    void anOffCpuTakesNoTrapUntilCpuOnStartsItAtItsEntryPoint() {
        long entry = Dram.BASE + 0x1000;
        assertEquals(Psci.RET_SUCCESS, smc0(1, Psci.CPU_OFF, 0, 0, 0));
        Cpu cpu1 = machine.cpus().get(1);
        assertFalse(cpu1.isOn());
        assertThrows(IllegalStateException.class, () -> machine.getCpu(1));
        // Every claim of "any CPU" avoids it.
        for (int i = 0; i < 8; i++) {
            Cpu c = machine.getCpu();
            try {
                assertTrue(c.id() != 1, "an off CPU was handed out");
            } finally {
                machine.putCpu(c);
            }
        }
        assertEquals(1, smc0(0, Psci.AFFINITY_INFO, 1, 0, 0), "AFFINITY_INFO: off");
        assertEquals(Psci.RET_INVALID_ADDRESS, smc0(0, Psci.CPU_ON, 1, 0x10, 7));
        assertEquals(Psci.RET_SUCCESS, smc0(0, Psci.CPU_ON, 1, entry, 0xC0FFEE));
        assertTrue(cpu1.isOn());
        assertEquals(0, smc0(0, Psci.AFFINITY_INFO, 1, 0, 0), "AFFINITY_INFO: on");
        assertEquals(0xC0FFEE, cpu1.regs().get(0), "x0 = the context id");
        assertEquals(entry, cpu1.regs().pc());
        assertEquals(Psci.RET_ALREADY_ON, smc0(0, Psci.CPU_ON, 1, entry, 0));
        assertEquals(Psci.RET_INVALID_PARAMS, smc0(0, Psci.CPU_ON, 99, entry, 0));
        assertEquals(Psci.VERSION_1_1, smc0(1, Psci.VERSION, 0, 0, 0), "CPU1 traps again");
    }

    @Test
    void aPowerdownSuspendLosesTheCpusEl2AndEl1RegistersAndAStandbyKeepsThem() {
        HypPlatform platform = machine.takeHypPlatform();
        Cpu cpu2 = machine.cpus().get(2);
        platform.writeSysReg(cpu2, El2SysReg.TPIDR_EL2, 0x1234);
        platform.writeHcrEl2(cpu2, Hcr.HOST_NVHE_FLAGS | Hcr.TVM);
        platform.writeHfgwtrEl2(cpu2, SysReg.SCTLR_EL1.hfgwtrBit());
        platform.writeEl1Sysreg(cpu2, SysReg.SCTLR_EL1, 0x30D0_0981L);
        assertEquals(Psci.RET_SUCCESS, smc0(2, Psci.CPU_SUSPEND, 0, 0, 0));
        assertEquals(0x1234, platform.readSysReg(cpu2, El2SysReg.TPIDR_EL2), "standby keeps the context");
        assertEquals(Hcr.HOST_NVHE_FLAGS | Hcr.TVM, platform.hcrEl2(cpu2), "standby keeps the trap controls");
        assertEquals(0x30D0_0981L, platform.readEl1Sysreg(cpu2, SysReg.SCTLR_EL1), "standby keeps the EL1 registers");
        assertEquals(0x77, smc0(2, Psci.CPU_SUSPEND, Psci.POWER_STATE_TYPE_POWER_DOWN, Dram.BASE, 0x77),
                "resumed at the entry point with the context id in x0");
        assertEquals(0, platform.readSysReg(cpu2, El2SysReg.TPIDR_EL2), "nobody at EL2 restored it");
        assertEquals(0, platform.hcrEl2(cpu2), "HCR_EL2 lost");
        assertEquals(0, platform.hfgwtrEl2(cpu2), "HFGWTR_EL2 lost");
        assertEquals(SysReg.SCTLR_EL1.resetValue(), platform.readEl1Sysreg(cpu2, SysReg.SCTLR_EL1), "EL1 back at reset");
        assertEquals(SysReg.CTR_EL0.resetValue(), platform.readEl1Sysreg(cpu2, SysReg.CTR_EL0), "ID registers unchanged");
        assertEquals(Psci.RET_INVALID_PARAMS, smc0(2, Psci.CPU_SUSPEND, 1L << 40, 0, 0));
    }

    @Test
    void systemSuspendIsDeniedWhileAnotherCpuIsOn() {
        assertEquals(Psci.RET_DENIED, smc0(0, Psci.SYSTEM_SUSPEND, Dram.BASE, 5, 0));
        for (int cpu = 1; cpu < machine.nrCpus(); cpu++) {
            assertEquals(Psci.RET_SUCCESS, smc0(cpu, Psci.CPU_OFF, 0, 0, 0));
        }
        assertEquals(5, smc0(0, Psci.SYSTEM_SUSPEND, Dram.BASE, 5, 0));
    }

    @Test
    void systemOffSwitchesEveryCpuOff() {
        assertEquals(Psci.RET_SUCCESS, smc0(3, Psci.SYSTEM_OFF, 0, 0, 0));
        assertEquals(SystemPower.OFF, machine.systemPower());
        for (Cpu cpu : machine.cpus()) {
            assertFalse(cpu.isOn());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, machine::getCpu);
        assertTrue(e.getMessage().contains("SYSTEM_OFF") || e.getMessage().contains("OFF"), e.getMessage());
    }

    @Test
    void systemResetIsRecordedAsAReset() {
        smc0(0, Psci.SYSTEM_RESET, 0, 0, 0);
        assertEquals(SystemPower.RESET, machine.systemPower());
    }

    @Test
    void ffaBasicsAndMemorySharesTheSecureWorldRecords() {
        assertEquals(Ffa.VERSION_1_1, smc0(0, Ffa.VERSION, Ffa.VERSION_1_1, 0, 0));
        long[] id = smc(0, Ffa.ID_GET, 0, 0, 0, 0);
        assertEquals(Ffa.SUCCESS, id[0]);
        assertEquals(El3Firmware.NORMAL_WORLD_FFA_ID, id[2]);
        assertEquals(Ffa.SUCCESS, smc0(0, Ffa.FEATURES, Ffa.MEM_LEND, 0, 0));
        long[] unknown = smc(0, Ffa.FEATURES, Ffa.ERROR + 0x1E, 0, 0, 0);
        assertEquals(List.of(Ffa.ERROR, Ffa.RET_NOT_SUPPORTED), List.of(unknown[0], unknown[2]));

        long pa = Dram.BASE + 8 * PAGE;
        long[] share = smc(0, Ffa.MEM_SHARE, 0, 0, pa, 2);
        assertEquals(Ffa.SUCCESS, share[0]);
        long handle = share[2];
        Map<Long, long[]> held = machine.secureWorldShares();
        assertEquals(List.of(pa, 2L), List.of(held.get(handle)[0], held.get(handle)[1]));
        long[] bad = smc(0, Ffa.MEM_SHARE, 0, 0, pa + 1, 1);
        assertEquals(List.of(Ffa.ERROR, Ffa.RET_INVALID_PARAMETERS), List.of(bad[0], bad[2]));
        assertEquals(Ffa.SUCCESS, smc0(0, Ffa.MEM_RECLAIM, handle, 0, 0));
        assertTrue(machine.secureWorldShares().isEmpty());
        long[] again = smc(0, Ffa.MEM_RECLAIM, handle, 0, 0, 0);
        assertEquals(List.of(Ffa.ERROR, Ffa.RET_INVALID_PARAMETERS), List.of(again[0], again[2]));
    }

    @Test
    void anInstalledVectorTakesTheSmcAndItsDefaultForwardsToTheFirmware() {
        List<Integer> seen = new ArrayList<>();
        machine.installEl2Vector(new El2Vector() {
            @Override
            public void hostHvc(Cpu cpu) {
            }

            @Override
            public void hostSmc(Cpu cpu) {
                seen.add(cpu.id());
                El2Vector.super.hostSmc(cpu);
            }
        });
        assertEquals(Smccc.VERSION_1_2, smc0(2, Smccc.VERSION_FUNC_ID, 0, 0, 0));
        assertEquals(List.of(2), seen);
    }
}
