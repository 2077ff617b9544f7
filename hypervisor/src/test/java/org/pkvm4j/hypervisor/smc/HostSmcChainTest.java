package org.pkvm4j.hypervisor.smc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkvm4j.hypervisor.mem.HandlerSlots;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Ffa;
import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.el2.PsciEvent;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.El2SysReg;
import org.pkvm4j.machine.El2Vector;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;
import org.pkvm4j.machine.SystemPower;

/**
 * The host SMC chain at EL2, driven with raw registers: PSCI relay, FF-A proxy, module handlers in
 * order, firmware; the per-CPU EL2 state across power-down; pvmfw poisoning.
 */
class HostSmcChainTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final long SIP_CALL = 0xC200_0001L;

    private final Machine machine = new Machine(MachineConfig.defaults());
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect memProtect = new MemProtect(platform.memory());
    private final SmcRegistry registry = new SmcRegistry();
    private final HypCpuParams params = new HypCpuParams(platform);
    private final FfaProxy ffa = new FfaProxy(platform, memProtect);
    private final HostSmc chain = new HostSmc(platform, new PsciRelay(platform, params, registry), ffa, registry);
    private final List<String> events = new ArrayList<>();

    HostSmcChainTest() {
        machine.installEl2Vector(new El2Vector() {
            @Override
            public void hostHvc(Cpu cpu) {
                cpu.regs().set(0, Smccc.RET_NOT_SUPPORTED);
            }

            @Override
            public void hostSmc(Cpu cpu) {
                chain.handle(cpu);
            }

            @Override
            public void cpuEntry(Cpu cpu, boolean cpuOn) {
                chain.cpuEntry(cpu, cpuOn);
            }
        });
        registry.registerPsciNotifier((event, regs) -> events.add(event + "@CPU" + platform.currentCpu().id() + " x0=" + regs.get(0)));
    }

    private long[] smc(int cpuId, long fn, long a1, long a2, long a3, long a4) {
        return HostSmcCalls.smc(machine, cpuId, fn, a1, a2, a3, a4);
    }

    private long smc0(int cpuId, long fn, long a1, long a2, long a3) {
        return smc(cpuId, fn, a1, a2, a3, 0)[0];
    }

    @Test
    void moduleHandlersRunInOrderAfterPsciAndFfaAndTheFirstTrueWins() {
        List<String> calls = new ArrayList<>();
        registry.registerHostSmcHandler(regs -> {
            calls.add("first 0x" + Long.toHexString(regs.get(0)));
            return false;
        });
        registry.registerHostSmcHandler(regs -> {
            calls.add("second");
            if (regs.get(0) != SIP_CALL) {
                return false;
            }
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, 42);
            return true;
        });
        registry.registerHostSmcHandler(regs -> {
            calls.add("third");
            return true;
        });
        long[] sip = smc(0, SIP_CALL, 0, 0, 0, 0);
        assertEquals(List.of(Smccc.RET_SUCCESS, 42L), List.of(sip[0], sip[1]));
        assertEquals(List.of("first 0xc2000001", "second"), calls, "the third never ran");
        calls.clear();
        assertEquals(Psci.VERSION_1_1, smc0(0, Psci.VERSION, 0, 0, 0), "PSCI is the relay's");
        assertEquals(List.of(), calls);
        assertEquals(Ffa.SUCCESS, smc(0, Ffa.MEM_SHARE, 0, 0, Dram.BASE + 4 * PAGE, 1)[0], "FF-A memory calls are the proxy's");
        assertEquals(List.of(), calls);
    }

    @Test
    void anUnclaimedSmcReachesTheFirmware() {
        registry.registerHostSmcHandler(regs -> false);
        assertEquals(Smccc.VERSION_1_2, smc0(1, Smccc.VERSION_FUNC_ID, 0, 0, 0));
        assertEquals(Smccc.RET_NOT_SUPPORTED, smc0(1, SIP_CALL, 0, 0, 0));
        assertEquals(Ffa.VERSION_1_1, smc0(1, Ffa.VERSION, Ffa.VERSION_1_1, 0, 0), "FF-A basics pass the proxy");
    }

    @Test
    void sixteenSlotsThenEbusy() {
        for (int i = 0; i < HandlerSlots.MAX_HANDLERS; i++) {
            registry.registerHostSmcHandler(regs -> false);
        }
        PkvmException e = assertThrows(PkvmException.class, () -> registry.registerHostSmcHandler(regs -> false));
        assertEquals(Errno.EBUSY, e.errno());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class, () -> registry.registerGuestSmcHandler(null)).errno());
    }

    @Test
    void ffaShareAndReclaimMoveTheHostsPagesThroughTheExistingTransitions() {
        long pfn = Dram.BASE / PAGE + 8;
        long[] share = smc(0, Ffa.MEM_SHARE, 0, 0, pfn * PAGE, 2);
        assertEquals(Ffa.SUCCESS, share[0]);
        assertEquals(PageState.SHARED_OWNED, memProtect.hostState(pfn));
        assertEquals(PageState.SHARED_OWNED, memProtect.hostState(pfn + 1));
        assertEquals(1, ffa.outstanding());
        assertTrue(machine.secureWorldShares().containsKey(share[2]));

        long[] twice = smc(0, Ffa.MEM_LEND, 0, 0, (pfn + 1) * PAGE, 1);
        assertEquals(List.of(Ffa.ERROR, Ffa.RET_DENIED), List.of(twice[0], twice[2]), "already shared: __pkvm_host_share_ffa -EPERM");
        assertEquals(1, machine.secureWorldShares().size(), "the secure world never heard of it");
        long[] donate = smc(0, Ffa.MEM_DONATE, 0, 0, (pfn + 4) * PAGE, 1);
        assertEquals(List.of(Ffa.ERROR, Ffa.RET_NOT_SUPPORTED), List.of(donate[0], donate[2]));
        assertEquals(PageState.OWNED, memProtect.hostState(pfn + 4));
        long[] unaligned = smc(0, Ffa.MEM_SHARE, 0, 0, pfn * PAGE + 8, 1);
        assertEquals(Ffa.RET_INVALID_PARAMETERS, unaligned[2]);

        assertEquals(Ffa.SUCCESS, smc0(0, Ffa.MEM_RECLAIM, share[2], 0, 0));
        assertEquals(PageState.OWNED, memProtect.hostState(pfn));
        assertEquals(PageState.OWNED, memProtect.hostState(pfn + 1));
        assertEquals(0, ffa.outstanding());
        long[] again = smc(0, Ffa.MEM_RECLAIM, share[2], 0, 0, 0);
        assertEquals(Ffa.RET_INVALID_PARAMETERS, again[2]);
    }

    @Test
    void ffaShareOfAPageTheHostDoesNotOwnIsDenied() {
        long pfn = Dram.BASE / PAGE + 9;
        assertEquals(0, memProtect.hostDonateHyp(pfn, 1));
        long[] r = smc(0, Ffa.MEM_SHARE, 0, 0, pfn * PAGE, 1);
        assertEquals(List.of(Ffa.ERROR, Ffa.RET_DENIED), List.of(r[0], r[2]));
        assertTrue(machine.secureWorldShares().isEmpty());
    }

    @Test
    void cpuOffThenCpuOnEntersTheCpuThroughEl2WithItsStateRestored() {
        Cpu cpu1 = machine.cpus().get(1);
        long tpidr = params.saved(cpu1, El2SysReg.TPIDR_EL2);
        assertEquals(tpidr, platform.readSysReg(cpu1, El2SysReg.TPIDR_EL2));
        assertEquals(Psci.RET_SUCCESS, smc0(1, Psci.CPU_OFF, 0, 0, 0));
        assertFalse(cpu1.isOn());
        assertEquals(0, platform.readSysReg(cpu1, El2SysReg.TPIDR_EL2), "the powerdown lost it");
        assertThrows(IllegalStateException.class, () -> machine.getCpu(1));

        long entry = Dram.BASE + 0x8000;
        assertEquals(Psci.RET_SUCCESS, smc0(0, Psci.CPU_ON, 1, entry, 0xAB));
        assertTrue(cpu1.isOn());
        assertEquals(tpidr, platform.readSysReg(cpu1, El2SysReg.TPIDR_EL2), "restored on entry");
        assertEquals(List.of("CPU_ENTRY@CPU1 x0=171"), events);
        assertEquals(entry, cpu1.regs().pc());
        assertEquals(0xAB, cpu1.regs().get(0));
        assertEquals(Psci.RET_ALREADY_ON, smc0(0, Psci.CPU_ON, 1, entry, 0));
        assertEquals(Psci.RET_INVALID_PARAMS, smc0(0, Psci.CPU_ON, 17, entry, 0));
        assertEquals(Psci.VERSION_1_1, smc0(1, Psci.VERSION, 0, 0, 0), "CPU1 traps again");
    }

    @Test
    void aChangedPerCpuRegisterSurvivesAPowerdownSuspend() {
        Cpu cpu2 = machine.cpus().get(2);
        long value = params.update(cpu2, El2SysReg.TPIDR_EL2, 1L << 12, 0);
        long hcr = params.update(cpu2, El2SysReg.HCR_EL2, Hcr.TVM, 0);
        long hfgwtr = params.update(cpu2, El2SysReg.HFGWTR_EL2, SysReg.SCTLR_EL1.hfgwtrBit(), 0);
        assertEquals(Hcr.HOST_NVHE_FLAGS | Hcr.TVM, hcr, "the boot value, and the bit set");
        long ret = smc0(2, Psci.CPU_SUSPEND, Psci.POWER_STATE_TYPE_POWER_DOWN, Dram.BASE, 0x55);
        assertEquals(0x55, ret, "the host resumes at its entry point with its context id");
        assertEquals(value, platform.readSysReg(cpu2, El2SysReg.TPIDR_EL2));
        assertEquals(hcr, platform.hcrEl2(cpu2), "the trap controls are back before the host runs");
        assertEquals(hfgwtr, platform.hfgwtrEl2(cpu2));
        assertEquals(List.of("CPU_SUSPEND@CPU2 x0=" + Psci.CPU_SUSPEND, "CPU_ENTRY@CPU2 x0=85"), events);
    }

    @Test
    void systemSuspendIsNotifiedAndDeniedWhileOtherCpusRun() {
        assertEquals(Psci.RET_DENIED, smc0(0, Psci.SYSTEM_SUSPEND, Dram.BASE, 9, 0));
        assertEquals(List.of("SYSTEM_SUSPEND@CPU0 x0=" + Psci.SYSTEM_SUSPEND), events);
        for (int cpu = 1; cpu < machine.nrCpus(); cpu++) {
            smc0(cpu, Psci.CPU_OFF, 0, 0, 0);
        }
        events.clear();
        assertEquals(9, smc0(0, Psci.SYSTEM_SUSPEND, Dram.BASE, 9, 0));
        assertEquals(List.of("SYSTEM_SUSPEND@CPU0 x0=" + Psci.SYSTEM_SUSPEND, "CPU_ENTRY@CPU0 x0=9"), events);
    }

    @ParameterizedTest
    @ValueSource(longs = {Psci.SYSTEM_OFF, Psci.SYSTEM_RESET})
    void systemOffAndResetPoisonThePvmfwPages(long fn) {
        long base = machine.pvmfwBase();
        machine.hostMemory().store64(base, 0x77_66_6d_76_70L);
        machine.hostMemory().store64(base + Machine.PVMFW_SIZE - 8, 1);
        smc0(0, fn, 0, 0, 0);
        assertEquals(PsciRelay.PVMFW_POISON, platform.memory().load64(base));
        assertEquals(PsciRelay.PVMFW_POISON, platform.memory().load64(base + Machine.PVMFW_SIZE - 8));
        assertEquals(fn == Psci.SYSTEM_OFF ? SystemPower.OFF : SystemPower.RESET, machine.systemPower());
    }

    @Test
    void aPsciCallThatIsNotPoweringAnythingIsForwarded() {
        assertEquals(2, smc0(0, Psci.MIGRATE_INFO_TYPE, 0, 0, 0));
        assertEquals(0, smc0(0, Psci.AFFINITY_INFO, 3, 0, 0));
        assertTrue(events.isEmpty());
        assertNull(machine.panic());
    }
}
