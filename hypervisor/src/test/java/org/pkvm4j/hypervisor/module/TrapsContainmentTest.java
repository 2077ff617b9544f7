package org.pkvm4j.hypervisor.module;

import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * The trap, notifier, tracing and heap members under the containment rules: usable only inside a
 * trap running the module's code, callbacks run published as that code with its register view, and
 * what a failed init registered is undone.
 */
class TrapsContainmentTest {
    private final Machine machine = new Machine(new MachineConfig(2, 64L << 20));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final List<String> uart = new ArrayList<>();
    private final HypConsole console = new HypConsole(platform.uart());
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final HypTraps traps = HypTraps.create(platform, console, va);
    private final El2Modules modules = new El2Modules(platform, va,
            new ModuleOpsTable(console, platform, mp, new HostPermFaultHandlers(), va, new IllegalAbtNotifiers(),
                    new KvmIommu(mp, platform.memory(), line -> { }), new PkvmDevices(), new SmcRegistry(), traps),
            new DynamicHcalls(platform));

    TrapsContainmentTest() {
        machine.uart().attach(uart::add);
    }

    @AfterEach
    void forgetInits() {
        InitImages.clear("trap_keeper");
        InitImages.clear("trap_failer");
        InitImages.clear("trap_second");
    }

    private long load(String name, java.util.function.Consumer<ModuleOps> init) {
        El2Image image = InitImages.image(name, init);
        long pa = machine.moduleRam().place(image);
        long token = modules.allocModuleVa(image.nrPages());
        Cpu cpu = machine.getCpu(0);
        try {
            return modules.initModule(cpu, pa, token, token);
        } finally {
            machine.putCpu(cpu);
        }
    }

    /** Scenario: ops kept past the init: every new member is refused and changes nothing. */
    @Test
    void keptOpsChangeNoTrapControlAllocateNothingAndTraceNothing() {
        AtomicReference<ModuleOps> kept = new AtomicReference<>();
        assertEquals(0, load("trap_keeper", ops -> {
            ops.updateHcrEl2(Hcr.TVM, 0); // inside the init: works
            kept.set(ops);
        }));
        Cpu cpu0 = machine.cpus().get(0);
        assertEquals(Hcr.HOST_NVHE_FLAGS | Hcr.TVM, platform.hcrEl2(cpu0));
        ModuleOps ops = kept.get();
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class, () -> ops.updateHcrEl2(0, Hcr.TVM)).errno());
        assertEquals(Hcr.HOST_NVHE_FLAGS | Hcr.TVM, platform.hcrEl2(cpu0), "unchanged");
        assertThrows(PkvmException.class, () -> ops.updateHfgwtrEl2(-1, 0));
        assertEquals(0, platform.hfgwtrEl2(cpu0));
        assertThrows(PkvmException.class, () -> ops.registerDefaultTrapHandler((r, e) -> true));
        assertThrows(PkvmException.class, () -> ops.registerHypPanicNotifier(r -> { }));
        assertThrows(PkvmException.class, () -> ops.registerUnmaskSerror(() -> true, () -> { }));
        assertThrows(PkvmException.class, () -> ops.writeSysreg(SysReg.SCTLR_EL1, 1));
        assertThrows(PkvmException.class, () -> ops.readSysreg(SysReg.SCTLR_EL1));
        assertThrows(PkvmException.class, ops::requestHypAlloc);
        assertThrows(PkvmException.class, () -> ops.udelay(1));
        assertEquals(0, ops.hypAlloc(8));
        assertEquals(0, ops.tracingReserveEntry(8));
        assertTrue(uart.stream().anyMatch(l -> l.contains("trap_keeper: ModuleOps.updateHcrEl2 called outside a trap running its code")),
                uart.toString());
    }

    /** Scenario: an init that registers a trap handler, a panic notifier and an SError pair, then fails, leaves every slot free. */
    @Test
    void aFailedInitLeavesNoTrapRegistrationBehind() {
        assertEquals(Errno.ENODEV.negated(), load("trap_failer", ops -> {
            ops.registerDefaultTrapHandler((r, e) -> true);
            ops.registerHypPanicNotifier(r -> { });
            ops.registerUnmaskSerror(() -> true, () -> { });
            assertTrue(ops.hypAlloc(8) == 0, "the heap has no page yet");
            throw new PkvmException(Errno.ENODEV, "no device");
        }));
        assertEquals(0, load("trap_second", ops -> {
            ops.registerDefaultTrapHandler((r, e) -> true);
            ops.registerHypPanicNotifier(r -> { });
            ops.registerUnmaskSerror(() -> true, () -> { });
        }));
    }

    /**
     * Scenario: the default trap handler runs as the module's code: its ops work inside it, and the
     * register view it kept is closed once it returned.
     */
    @Test
    void theTrapHandlerRunsAsTheModulesCodeWithAViewClosedAfterwards() {
        AtomicReference<UserPtRegs> keptRegs = new AtomicReference<>();
        List<Long> read = new ArrayList<>();
        AtomicReference<ModuleOps> opsRef = new AtomicReference<>();
        assertEquals(0, load("trap_keeper", ops -> {
            opsRef.set(ops);
            ops.registerDefaultTrapHandler((regs, esr) -> {
                read.add(ops.readSysreg(SysReg.SCTLR_EL1));
                keptRegs.set(regs);
                return true;
            });
        }));
        Cpu cpu = machine.getCpu(1);
        try {
            platform.writeEl1Sysreg(cpu, SysReg.SCTLR_EL1, 0x55);
            assertTrue(traps.trapHandlers().dispatch(cpu.regs(), SysReg.SCTLR_EL1.esr(3, false)));
            cpu.regs().set(3, 9);
            keptRegs.get().set(3, 0xBAD);
            assertEquals(9, cpu.regs().get(3), "the kept view is closed");
        } finally {
            machine.putCpu(cpu);
        }
        assertEquals(List.of(0x55L), read, "the ops worked inside the handler");
    }
}
