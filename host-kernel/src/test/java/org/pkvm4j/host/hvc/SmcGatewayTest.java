package org.pkvm4j.host.hvc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.CpuPin;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.El2Vector;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/** The host's SMCs: x0..x4 in, x0..x3 out, on the CPU asked for, through EL2 when a vector is installed. */
class SmcGatewayTest {
    private static final long SCTLR_MMU_ON = 0x30D0_0981L;

    private final Machine machine = new Machine(MachineConfig.defaults());
    private final SmcGateway smc = new SmcGateway(machine);

    @Test
    void withoutEl2TheFirmwareAnswers() {
        assertEquals(Smccc.VERSION_1_2, smc.smc(Smccc.VERSION_FUNC_ID, 0, 0, 0).a0());
        assertEquals(Psci.VERSION_1_1, smc.smcOn(3, Psci.VERSION, 0, 0, 0).a0());
    }

    @Test
    void cpuOffAndCpuOnSwitchACpu() {
        assertEquals(Psci.RET_SUCCESS, smc.cpuOff(2));
        assertFalse(machine.cpus().get(2).isOn());
        assertThrows(IllegalStateException.class, () -> smc.smcOn(2, Psci.VERSION, 0, 0, 0));
        assertEquals(Psci.RET_SUCCESS, smc.cpuOn(0, 2, Dram.BASE, 0));
        assertTrue(machine.cpus().get(2).isOn());
        assertEquals(Psci.RET_ALREADY_ON, smc.cpuOn(0, 2, Dram.BASE, 0));
    }

    @Test
    void aPowerdownSuspendResumesWithTheHostsEl1ContextRestored() {
        HvcGateway hvc = new HvcGateway(machine);
        try (CpuPin pin = machine.pinCurrentThread(1)) {
            hvc.writeSysreg(SysReg.SCTLR_EL1, SCTLR_MMU_ON);
            hvc.writeSysreg(SysReg.TPIDR_EL1, 0x1234);
            hvc.writeSysreg(SysReg.ESR_EL1, 0x99);
            assertEquals(Psci.RET_SUCCESS, smc.cpuSuspend(1, 0), "standby");
            assertEquals(0x99, hvc.readSysreg(SysReg.ESR_EL1), "a standby loses nothing");
            assertEquals(Psci.RET_SUCCESS, smc.cpuSuspend(1, Psci.POWER_STATE_TYPE_POWER_DOWN));
            assertEquals(SmcGateway.CPU_RESUME, pin.cpu().regs().pc(), "woken at cpu_resume");
            assertEquals(SCTLR_MMU_ON, hvc.readSysreg(SysReg.SCTLR_EL1), "cpu_do_resume wrote it back");
            assertEquals(0x1234, hvc.readSysreg(SysReg.TPIDR_EL1));
            assertEquals(SysReg.ESR_EL1.resetValue(), hvc.readSysreg(SysReg.ESR_EL1), "not context: lost");
            assertEquals(Psci.RET_INVALID_PARAMS, smc.cpuSuspend(1, Psci.POWER_STATE_TYPE_POWER_DOWN | 1L << 40));
            assertEquals(0x1234, hvc.readSysreg(SysReg.TPIDR_EL1), "a refused suspend keeps the context");
        }
    }

    @Test
    void systemSuspendWaitsForTheLastCpu() {
        assertEquals(Psci.RET_DENIED, smc.systemSuspend(0));
        for (int cpu = 1; cpu < machine.nrCpus(); cpu++) {
            assertEquals(Psci.RET_SUCCESS, smc.cpuOff(cpu));
        }
        assertEquals(Psci.RET_SUCCESS, smc.systemSuspend(0));
        assertTrue(machine.cpus().get(0).isOn());
    }

    @Test
    void anInstalledVectorSeesEveryArgumentRegister() {
        List<Long> seen = new ArrayList<>();
        machine.installEl2Vector(new El2Vector() {
            @Override
            public void hostHvc(Cpu cpu) {
            }

            @Override
            public void hostSmc(Cpu cpu) {
                for (int i = 0; i <= 4; i++) {
                    seen.add(cpu.regs().get(i));
                }
                cpu.regs().set(0, 7);
                cpu.regs().set(3, 9);
            }
        });
        SmcccRes r = smc.smc(0xC200_0001L, 1, 2, 3, 4);
        assertEquals(List.of(0xC200_0001L, 1L, 2L, 3L, 4L), seen);
        assertEquals(List.of(7L, 9L), List.of(r.a0(), r.a3()));
    }
}
