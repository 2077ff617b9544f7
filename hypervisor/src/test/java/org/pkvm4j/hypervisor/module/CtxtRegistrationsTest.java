package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcallTable;
import org.pkvm4j.hypervisor.HostHcalls;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.hypervisor.smc.FfaProxy;
import org.pkvm4j.hypervisor.smc.HostSmc;
import org.pkvm4j.hypervisor.smc.HostSmcCalls;
import org.pkvm4j.hypervisor.smc.PsciRelay;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypKmi;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * The android14-5.15 {@code kvm_cpu_context} registrations (host SMC, default trap, PSCI, panic) on a
 * hypervisor booted as that KMI: each callback runs inside the trap as the module's code and sees the
 * module's gated context, closed once it returns; the host SMC handler has one slot; a throwable is a
 * hyp panic quoting data; a failed init takes them back; the 6.12 shapes are refused with ENOSYS.
 */
class CtxtRegistrationsTest {
    private static final long SIP_CALL = 0xC200_0042L;
    /** The 6.12 shapes android14-5.15 does not have. */
    private static final Set<String> NOT_ON_515 = Set.of("registerHostSmcHandler(HostSmcHandler)",
            "registerDefaultTrapHandler(DefaultTrapHandler)", "registerPsciNotifier(PsciNotifier)",
            "registerHypPanicNotifier(HypPanicNotifier)");

    private final Machine machine = new Machine(new MachineConfig(2, 256 * MachineConfig.PAGE_SIZE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final HostPermFaultHandlers handlers = new HostPermFaultHandlers();
    private final IllegalAbtNotifiers notifiers = new IllegalAbtNotifiers();
    private final SmcRegistry smc = new SmcRegistry();
    private final HypConsole console = new HypConsole(platform.uart());
    private final HypTraps traps = HypTraps.create(platform, console, va);
    private final KvmIommu iommu = new KvmIommu(mp, platform.memory(), line -> { });
    private final PkvmDevices devices = new PkvmDevices();
    private final ModuleOpsTable ops = new ModuleOpsTable(console, platform, mp, handlers, va, notifiers, iommu, devices, smc, traps,
            kmi515());
    private final DynamicHcalls hcalls = new DynamicHcalls(platform);
    private final El2Modules modules = new El2Modules(platform, va, ops, hcalls);
    private final List<String> seen = new ArrayList<>();

    CtxtRegistrationsTest() {
        HostSmc chain = new HostSmc(platform, new PsciRelay(platform, traps.params(), smc), new FfaProxy(platform, mp), smc);
        Deprivilege deprivilege = new Deprivilege(2);
        HostHcallTable table = HostHcalls.table(modules, deprivilege, mp, new GuestVcpus(new GuestMemProtect(mp, new VmTable()), 2), 2,
                iommu, devices, null, traps.heap());
        machine.installEl2Vector(new HypMain(platform, hcalls, table, deprivilege, mp, handlers, notifiers, chain, traps));
        platform.beforePanic((cpu, p) -> traps.panicNotifiers().beforePanic(cpu));
    }

    /** Every ModuleOps method but the 6.12 shapes of the four registrations: enough of android14-5.15 for these tests. */
    static HypKmi kmi515() {
        return new HypKmi("android14-5.15", KmiGateTest.methods().stream().map(KmiGateTest::signature)
                .filter(s -> !NOT_ON_515.contains(s)).collect(Collectors.toSet()));
    }

    @AfterEach
    void forgetInits() {
        for (String name : List.of("ctxt_module", "ctxt_second", "ctxt_fails", "ctxt_throws", "ctxt_new_shapes")) {
            InitImages.clear(name);
        }
    }

    private long load(String name, Consumer<ModuleOps> init) {
        return InitImages.load(machine, modules, name, init)[0];
    }

    private long smc(int cpuId, long fn, long a1, long a2, long a3) {
        return HostSmcCalls.smc(machine, cpuId, fn, a1, a2, a3)[0];
    }

    /**
     * Scenario: the four callbacks run inside the trap, as the module's code (its ops answer there),
     * with the context of the trapping CPU; a context kept past its callback writes nothing.
     */
    @Test
    void callbacksSeeTheGatedContextInsideTheTrap() {
        AtomicReference<ModuleOps> kept = new AtomicReference<>();
        AtomicReference<KvmCpuContext> keptCtxt = new AtomicReference<>();
        AtomicReference<KvmCpuContext> keptTrapCtxt = new AtomicReference<>();
        assertEquals(0, load("ctxt_module", o -> {
            kept.set(o);
            o.registerHostSmcHandlerCtxt(ctxt -> {
                seen.add("smc 0x%x on CPU%d".formatted(ctxt.reg(0), kept.get().smpProcessorId()));
                keptCtxt.set(ctxt);
                if (ctxt.reg(0) != SIP_CALL) {
                    return false;
                }
                ctxt.setReg(0, Smccc.RET_SUCCESS);
                ctxt.setReg(1, ctxt.reg(1) + 1);
                return true;
            });
            o.registerPsciNotifierCtxt((event, ctxt) -> seen.add("%s x0=0x%x on CPU%d".formatted(event, ctxt.reg(0),
                    kept.get().smpProcessorId())));
            o.registerDefaultTrapHandlerCtxt((ctxt, esr) -> {
                keptTrapCtxt.set(ctxt);
                if (SysReg.fromEsr(esr) != SysReg.ACTLR_EL1 || !SysReg.esrIsRead(esr)) {
                    return false;
                }
                ctxt.setReg(SysReg.esrRt(esr), 0xAC7L);
                return true;
            });
            o.registerHypPanicNotifierCtxt(ctxt -> seen.add("panic"));
            o.updateHcrEl2(Hcr.TACR, 0);
        }));
        assertEquals(Smccc.RET_SUCCESS, smc(1, SIP_CALL, 41, 0, 0));
        Cpu cpu = machine.getCpu(1);
        try {
            assertEquals(42, cpu.regs().get(1), "the handler wrote the host's x1 through its context");
            keptCtxt.get().setReg(1, 0xBAD);
            assertEquals(42, cpu.regs().get(1), "a context kept past its callback writes nothing");
        } finally {
            machine.putCpu(cpu);
        }
        assertEquals(0x99, smc(1, Psci.CPU_SUSPEND, Psci.POWER_STATE_TYPE_POWER_DOWN, Dram.BASE, 0x99));
        assertEquals(List.of("smc 0x%x on CPU1".formatted(SIP_CALL), "CPU_SUSPEND x0=0x%x on CPU1".formatted(Psci.CPU_SUSPEND),
                "CPU_ENTRY x0=0x99 on CPU1"), seen);

        Cpu cpu0 = machine.getCpu(0);
        try {
            cpu0.mrs(SysReg.ACTLR_EL1, 5);
            assertEquals(0xAC7L, cpu0.regs().get(5), "the trap handler emulated the read");
            keptTrapCtxt.get().setReg(5, 0xBAD);
            assertEquals(0xAC7L, cpu0.regs().get(5), "a context kept past its callback writes nothing, on its own CPU too");
        } finally {
            machine.putCpu(cpu0);
        }
        assertEquals(1, smc.hostSmcHandlers());
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class, () -> kept.get().registerHostSmcHandlerCtxt(c -> true)).errno(),
                "off its trap");
    }

    /** Scenario: android14-5.15's host SMC handler has one slot: a second registration, from any module, is EBUSY. */
    @Test
    void theHostSmcHandlerHasOneSlot() {
        List<Errno> second = new ArrayList<>();
        assertEquals(0, load("ctxt_module", o -> {
            o.registerHostSmcHandlerCtxt(c -> false);
            try {
                o.registerHostSmcHandlerCtxt(c -> true);
            } catch (PkvmException e) {
                second.add(e.errno());
            }
        }));
        assertEquals(List.of(Errno.EBUSY), second);
        assertEquals(Errno.EBUSY.negated(), load("ctxt_second", o -> o.registerHostSmcHandlerCtxt(c -> true)));
        assertEquals(1, smc.hostSmcHandlers());
        assertEquals(Errno.EINVAL.negated(), load("ctxt_fails", o -> o.registerHostSmcHandlerCtxt(null)));
        assertEquals(Smccc.RET_NOT_SUPPORTED, smc(0, SIP_CALL, 0, 0, 0), "unclaimed: the firmware answers");
    }

    /** Scenario: the default trap, PSCI and panic slots are shared with nothing else: a second is EBUSY. */
    @Test
    void theOtherSlotsAreSingleToo() {
        assertEquals(0, load("ctxt_module", o -> {
            o.registerDefaultTrapHandlerCtxt((c, e) -> false);
            o.registerPsciNotifierCtxt((e, c) -> { });
            o.registerHypPanicNotifierCtxt(c -> { });
        }));
        for (Consumer<ModuleOps> again : List.<Consumer<ModuleOps>>of(o -> o.registerDefaultTrapHandlerCtxt((c, e) -> true),
                o -> o.registerPsciNotifierCtxt((e, c) -> { }), o -> o.registerHypPanicNotifierCtxt(c -> { }))) {
            assertEquals(Errno.EBUSY.negated(), load("ctxt_second", again));
            InitImages.clear("ctxt_second");
        }
    }

    /** Scenario: an init that registers all four and fails leaves every slot free for the next module. */
    @Test
    void aFailedInitTakesItsRegistrationsBack() {
        assertEquals(Errno.ENODEV.negated(), load("ctxt_fails", o -> {
            o.registerHostSmcHandlerCtxt(c -> true);
            o.registerDefaultTrapHandlerCtxt((c, e) -> true);
            o.registerPsciNotifierCtxt((e, c) -> { });
            o.registerHypPanicNotifierCtxt(c -> { });
            throw new PkvmException(Errno.ENODEV, "no device");
        }));
        assertEquals(0, smc.hostSmcHandlers());
        assertEquals(Smccc.RET_NOT_SUPPORTED, smc(0, SIP_CALL, 0, 0, 0));
        assertEquals(0, load("ctxt_second", o -> {
            o.registerHostSmcHandlerCtxt(c -> true);
            o.registerDefaultTrapHandlerCtxt((c, e) -> true);
            o.registerPsciNotifierCtxt((e, c) -> { });
            o.registerHypPanicNotifierCtxt(c -> { });
        }));
    }

    /**
     * Scenario: a throwable escaping the SMC handler is a hyp panic that quotes it as data (never its
     * getMessage); the panic notifier runs first, with the context of the panicking trap.
     */
    @Test
    void aThrowingHandlerIsAHypPanicAfterTheNotifier() {
        assertEquals(0, load("ctxt_throws", o -> {
            o.registerHypPanicNotifierCtxt(ctxt -> seen.add("panic notifier x0=0x%x".formatted(ctxt.reg(0))));
            o.registerHostSmcHandlerCtxt(ctxt -> {
                throw new IllegalStateException("vendor\nforged line") {
                    @Override
                    public String getMessage() {
                        throw new AssertionError("the panic ran the vendor's getMessage");
                    }
                };
            });
        }));
        assertThrows(HypPanicException.class, () -> smc(0, SIP_CALL, 0, 0, 0));
        HypPanic panic = machine.panic();
        assertNotNull(panic);
        assertTrue(panic.reason().contains("handle_host_smc of SMC 0xc2000042 threw"), panic.reason());
        assertFalse(panic.reason().contains("forged line"), panic.reason());
        assertEquals(List.of("panic notifier x0=0x%x".formatted(SIP_CALL)), seen);
    }

    /** Scenario: on this android14-5.15 hypervisor the 6.12 shapes are refused with ENOSYS and register nothing. */
    @Test
    void theUserPtRegsShapesAreRefusedWithEnosys() {
        List<Errno> errnos = new ArrayList<>();
        assertEquals(0, load("ctxt_new_shapes", o -> {
            for (Runnable call : List.<Runnable>of(() -> o.registerHostSmcHandler(r -> true),
                    () -> o.registerDefaultTrapHandler((r, e) -> true), () -> o.registerPsciNotifier((e, r) -> { }),
                    () -> o.registerHypPanicNotifier(r -> { }))) {
                try {
                    call.run();
                } catch (PkvmException e) {
                    errnos.add(e.errno());
                }
            }
        }));
        assertEquals(List.of(Errno.ENOSYS, Errno.ENOSYS, Errno.ENOSYS, Errno.ENOSYS), errnos);
        assertEquals(0, smc.hostSmcHandlers());
        assertEquals(0, load("ctxt_module", o -> {
            o.registerDefaultTrapHandlerCtxt((c, e) -> true);
            o.registerPsciNotifierCtxt((e, c) -> { });
            o.registerHypPanicNotifierCtxt(c -> { });
        }), "the refused calls took no slot");
    }
}
