package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.GuestTrngOps;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcallTable;
import org.pkvm4j.hypervisor.HostHcalls;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.smc.FfaProxy;
import org.pkvm4j.hypervisor.smc.HostSmc;
import org.pkvm4j.hypervisor.smc.HostSmcCalls;
import org.pkvm4j.hypervisor.smc.HypCpuParams;
import org.pkvm4j.hypervisor.smc.PsciRelay;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * The SMC, PSCI and TRNG members through a module's own ops: the callbacks run inside the trap,
 * published as the module's code (so its ops work there and nowhere else), a failed init or an
 * unload takes them, and a throwable escaping one is a hyp panic that quotes it as data.
 */
class SmcOpsContainmentTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final long SIP_CALL = 0xC200_0042L;

    private final Machine machine = new Machine(new MachineConfig(2, 256 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final HostPermFaultHandlers handlers = new HostPermFaultHandlers();
    private final IllegalAbtNotifiers notifiers = new IllegalAbtNotifiers();
    private final SmcRegistry smc = new SmcRegistry();
    private final KvmIommu iommu = new KvmIommu(mp, platform.memory(), line -> { });
    private final PkvmDevices devices = new PkvmDevices();
    private final ModuleOpsTable ops = new ModuleOpsTable(new HypConsole(platform.uart()), platform, mp, handlers, va, notifiers,
            iommu, devices, smc);
    private final DynamicHcalls hcalls = new DynamicHcalls(platform);
    private final El2Modules modules = new El2Modules(platform, va, ops, hcalls);
    private final List<String> seen = new ArrayList<>();
    private ModuleOps kept;

    SmcOpsContainmentTest() {
        HostSmc chain = new HostSmc(platform, new PsciRelay(platform, new HypCpuParams(platform), smc), new FfaProxy(platform, mp), smc);
        Deprivilege deprivilege = new Deprivilege(2);
        HostHcallTable table = HostHcalls.table(modules, deprivilege, mp, new GuestVcpus(new GuestMemProtect(mp, new VmTable()), 2), 2,
                iommu, devices, null, null);
        machine.installEl2Vector(new HypMain(platform, hcalls, table, deprivilege, mp, handlers, notifiers, chain, null));
    }

    @AfterEach
    void forgetInits() {
        InitImages.clear("smc_module");
        InitImages.clear("smc_fails");
        InitImages.clear("smc_throws");
    }

    private long[] load(String name, Consumer<ModuleOps> init) {
        return InitImages.load(machine, modules, name, init);
    }

    private long smc(int cpuId, long fn, long a1, long a2, long a3) {
        return HostSmcCalls.smc(machine, cpuId, fn, a1, a2, a3)[0];
    }

    private void registerAll(ModuleOps o) {
        kept = o;
        o.registerHostSmcHandler(regs -> {
            // Inside the trap, published as this module's code: its ops answer.
            seen.add("smc on CPU" + kept.smpProcessorId());
            if (regs.get(0) != SIP_CALL) {
                return false;
            }
            regs.set(0, Smccc.RET_SUCCESS);
            return true;
        });
        o.registerPsciNotifier((event, regs) -> seen.add(event + " on CPU" + kept.smpProcessorId()));
        o.registerGuestSmcHandler((regs, handle) -> false);
        o.registerGuestTrngOps(new GuestTrngOps(1, 2, (out, bits) -> true));
    }

    @Test
    void callbacksRunInsideTheTrapAsTheModulesCode() {
        assertEquals(0, load("smc_module", this::registerAll)[0]);
        assertEquals(Smccc.RET_SUCCESS, smc(1, SIP_CALL, 0, 0, 0));
        assertEquals(Psci.VERSION_1_1, smc(1, Psci.VERSION, 0, 0, 0));
        assertEquals(0x99, smc(1, Psci.CPU_SUSPEND, Psci.POWER_STATE_TYPE_POWER_DOWN, Dram.BASE, 0x99));
        assertEquals(List.of("smc on CPU1", "CPU_SUSPEND on CPU1", "CPU_ENTRY on CPU1"), seen);
        assertEquals(-1, kept.smpProcessorId(), "outside a trap the module's ops act on nothing");
        assertThrows(PkvmException.class, () -> kept.registerHostSmcHandler(regs -> true), "EPERM off its trap");
        assertEquals(1, smc.hostSmcHandlers());
    }

    @Test
    void aFailedInitAndAnUnloadTakeTheirRegistrations() {
        long[] failed = load("smc_fails", o -> {
            registerAll(o);
            throw new PkvmException(Errno.EINVAL, "init gives up");
        });
        assertEquals(Errno.EINVAL.negated(), failed[0]);
        assertEquals(0, smc.hostSmcHandlers());
        assertEquals(0, smc.guestSmcHandlers());
        assertEquals(null, smc.trngOps());
        assertEquals(Smccc.RET_NOT_SUPPORTED, smc(0, SIP_CALL, 0, 0, 0), "the firmware answers");

        long[] loaded = load("smc_module", this::registerAll);
        assertEquals(0, loaded[0]);
        assertNotNull(smc.trngOps(), "the slots are free again");
        assertEquals(0, modules.unmapModule(loaded[1]));
        assertEquals(0, smc.hostSmcHandlers());
        assertEquals(null, smc.trngOps());
        seen.clear();
        smc(0, Psci.CPU_SUSPEND, Psci.POWER_STATE_TYPE_POWER_DOWN, Dram.BASE, 0);
        assertTrue(seen.isEmpty(), "no notifier after the unload");
    }

    @Test
    void aThrowingHandlerIsAHypPanicThatQuotesIt() {
        assertEquals(0, load("smc_throws", o -> o.registerHostSmcHandler(regs -> {
            throw new IllegalStateException("vendor\nforged line") {
                @Override
                public String getMessage() {
                    throw new AssertionError("the panic ran the vendor's getMessage");
                }
            };
        }))[0]);
        assertThrows(HypPanicException.class, () -> smc(0, SIP_CALL, 0, 0, 0));
        HypPanic panic = machine.panic();
        assertNotNull(panic);
        assertTrue(panic.reason().contains("handle_host_smc of SMC 0xc2000042 threw"), panic.reason());
        assertFalse(panic.reason().contains("forged line"), panic.reason());
    }
}
