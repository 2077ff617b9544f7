package org.pkvm4j.hypervisor.module;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.testing.TestImages;

/**
 * EL2 code runs only on a CPU inside a trap (ARCHITECTURE.md §1.6): a handler's register view is
 * open only on the trapping thread while the handler runs, and a module's ModuleOps act only there;
 * every other use changes nothing and is reported.
 */
class ContainmentTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private final Machine machine = new Machine(new MachineConfig(2, 256 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final List<String> uart = new ArrayList<>();
    private final HypConsole console = new HypConsole(platform.uart());
    private final DynamicHcalls table = new DynamicHcalls(platform);
    private final ModuleContainment containment = new ModuleContainment("mod_a", platform, console);
    private final El2Module a = new El2Module(TestImages.image("mod_a", 100), 0x0000_8000_0000_0000L, 1, containment);
    private final AtomicReference<UserPtRegs> kept = new AtomicReference<>();

    ContainmentTest() {
        machine.uart().attach(uart::add);
    }

    @AfterEach
    void forgetInits() {
        InitImages.clear("keeps_its_ops");
        InitImages.clear("fails_keeping_its_ops");
    }

    private long call(Cpu cpu, long id, long x1) {
        cpu.regs().set(0, Smccc.kvmHostSmcccId((int) id));
        cpu.regs().set(1, x1);
        assertTrue(table.handle(id, cpu));
        return cpu.regs().get(1);
    }

    private void registerKeeper() {
        // x1 = 1: keep the view and answer 10; x1 = 2: write x1 = 20 through the kept view, answer in x2.
        table.register(new Hcall.UserPtRegsCall(a, "keeper", regs -> {
            if (regs.get(1) == 1) {
                kept.set(regs);
                regs.set(1, 10);
            } else {
                kept.get().set(1, 20);
                regs.set(2, 1);
            }
        }));
    }

    /** Scenario: a view kept past its handler, written later on the same thread, changes nothing and is counted. */
    @Test
    void aKeptViewIsDeadOnceItsHandlerReturned() {
        registerKeeper();
        Cpu cpu0 = machine.cpus().get(0);
        assertEquals(10, call(cpu0, 128, 1));
        UserPtRegs view = kept.get();
        cpu0.regs().set(1, 5);
        view.set(1, 0xBAD);
        view.setPc(0xBAD);
        view.clear();
        assertEquals(0, view.get(1), "a closed view reads 0");
        assertEquals(5, cpu0.regs().get(1), "the CPU's registers are untouched");
        assertEquals(0, cpu0.regs().pc());
        assertEquals("UserPtRegs[closed view]", view.toString());
        assertEquals(5, containment.regsRefusals());
        assertTrue(uart.stream().anyMatch(l -> l.contains("mod_a: register view used off its trap")), uart.toString());
    }

    /** Scenario: a view kept on CPU0 and written by the same module's handler on CPU1 does not reach CPU0. */
    @Test
    void aViewKeptOnOneCpuIsClosedDuringATrapOnAnother() {
        registerKeeper();
        Cpu cpu0 = machine.cpus().get(0);
        Cpu cpu1 = machine.cpus().get(1);
        assertEquals(10, call(cpu0, 128, 1));
        cpu0.regs().set(1, 7);
        call(cpu1, 128, 2);
        assertEquals(1, cpu1.regs().get(2), "the handler on CPU1 ran");
        assertEquals(7, cpu0.regs().get(1), "CPU0's x1 is untouched");
        assertEquals(1, containment.regsRefusals());
    }

    /** Scenario: a view written from another thread while its handler still runs changes nothing. */
    @Test
    void aViewIsClosedToOtherThreadsWhileItsHandlerRuns() throws InterruptedException {
        List<Long> seen = new ArrayList<>();
        table.register(new Hcall.UserPtRegsCall(a, "shares", regs -> {
            Thread other = Thread.ofPlatform().start(() -> {
                regs.set(1, 0xBAD);
                seen.add(regs.get(2));
            });
            try {
                other.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            regs.set(3, regs.get(1));
        }));
        Cpu cpu0 = machine.cpus().get(0);
        cpu0.regs().set(2, 9);
        call(cpu0, 128, 4);
        assertEquals(4, cpu0.regs().get(3), "the other thread's write did not land");
        assertEquals(List.of(0L), seen, "the other thread read 0, not x2");
        assertEquals(2, containment.regsRefusals());
    }

    /** Scenario: a 5.15 handler's context is gated the same way. */
    @Test
    void aKeptKvmCpuContextIsDeadToo() {
        AtomicReference<KvmCpuContext> ctxKept = new AtomicReference<>();
        table.register(new Hcall.KvmCpuContextCall(a, "old_abi", ctx -> {
            ctxKept.set(ctx);
            ctx.setReg(1, 11);
        }));
        Cpu cpu0 = machine.cpus().get(0);
        assertEquals(11, call(cpu0, 128, 0));
        ctxKept.get().setReg(1, 0xBAD);
        ctxKept.get().regs().set(0, 0xBAD);
        assertEquals(11, cpu0.regs().get(1));
        assertEquals(Smccc.RET_SUCCESS, cpu0.regs().get(0));
        assertEquals(2, containment.regsRefusals());
    }

    // ---------------------------------------------------------------- ModuleOps off-CPU

    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final El2Modules modules = new El2Modules(platform, va,
            new ModuleOpsTable(console, platform, mp, new HostPermFaultHandlers(), va, new IllegalAbtNotifiers()), table);

    private long load(String name, java.util.function.Consumer<ModuleOps> init) {
        El2Image image = InitImages.image(name, init);
        long pa = machine.moduleRam().place(image);
        long token = modules.allocModuleVa(image.nrPages());
        return modules.initModule(machine.cpus().get(0), pa, token, token);
    }

    /**
     * Scenario: an init keeps its ops; called after the init returned (no trap runs its code) they
     * change nothing: puts prints nothing, host_share_hyp fails with EPERM and the page stays the
     * host's; the misuse is reported once. Inside the init, the same ops work.
     */
    @Test
    void opsKeptPastTheirInitChangeNothing() {
        AtomicReference<ModuleOps> ops = new AtomicReference<>();
        long pfn = Dram.BASE / PAGE + 9;
        assertEquals(0, load("keeps_its_ops", o -> {
            o.puts("inside the init");
            ops.set(o);
        }));
        assertTrue(uart.contains("inside the init"));
        ops.get().puts("after the init");
        PkvmException e = assertThrows(PkvmException.class, () -> ops.get().hostShareHyp(pfn));
        assertEquals(Errno.EPERM, e.errno());
        assertEquals(-1, ops.get().smpProcessorId());
        assertFalse(uart.contains("after the init"));
        assertEquals(0, mp.hostShareHyp(pfn), "the page was never shared: it can be shared now");
        assertEquals(1, uart.stream().filter(l -> l.contains("ModuleOps.")).count(), "reported once: " + uart);
        assertTrue(uart.stream().anyMatch(l -> l.contains("keeps_its_ops: ModuleOps.puts called outside a trap running its code")));
    }

    /** Scenario: ops used from another thread while the init runs change nothing either. */
    @Test
    void opsFromAnotherThreadDuringTheInitChangeNothing() {
        assertEquals(0, load("keeps_its_ops", o -> {
            Thread t = Thread.ofPlatform().start(() -> o.puts("from another thread"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !t.isAlive());
            o.puts("from the init");
        }));
        assertTrue(uart.contains("from the init"));
        assertFalse(uart.contains("from another thread"));
    }

    /** Scenario: after a failed init its ops are dead, and say so. */
    @Test
    void theOpsOfAFailedInitAreDead() {
        AtomicReference<ModuleOps> ops = new AtomicReference<>();
        assertEquals(Errno.ENODEV.negated(), load("fails_keeping_its_ops", o -> {
            ops.set(o);
            throw new PkvmException(Errno.ENODEV, "no device");
        }));
        assertThrows(PkvmException.class, () -> ops.get().memset(0, 0, 8));
        assertTrue(uart.stream().anyMatch(l -> l.contains("fails_keeping_its_ops: ModuleOps.memset called after the module was unloaded or its init failed")),
                uart.toString());
    }

    /**
     * Scenario: the IOMMU and memory members kept past the init change nothing either: each with an
     * errno fails with EPERM, the others are no-ops, and the pages, the MMIO and the device table are
     * as before. Inside the init the same members work, and what a failed init registered (an early
     * linear mapping, a device reset callback) is undone.
     */
    @Test
    void iommuOpsKeptPastTheirInitChangeNothing() {
        AtomicReference<ModuleOps> ops = new AtomicReference<>();
        long pfn = Dram.BASE / PAGE + 20;
        long smmuPfn = org.pkvm4j.machine.Smmu.PA / PAGE;
        long dev = org.pkvm4j.machine.DmaEngine.REGS_BASE;
        assertEquals(0, load("keeps_its_ops", o -> {
            o.linearMapEarly(pfn * PAGE, PAGE, org.pkvm4j.api.Prot.R);
            o.linearUnmapEarly(pfn * PAGE, PAGE);
            ops.set(o);
        }));
        ModuleOps o = ops.get();
        List<Runnable> withErrno = List.of(
                () -> o.hostDonateHyp(pfn, 1, false),
                () -> o.hostDonateHyp(smmuPfn, 1, true),
                () -> o.hostDonateHypProt(pfn, 1, false, org.pkvm4j.api.Prot.R),
                () -> o.hostDonateSglistHyp(new long[] {pfn}),
                () -> o.hostStage2ModProt(pfn, org.pkvm4j.api.Prot.R, 1, true),
                () -> o.iommuInitDevice(org.pkvm4j.machine.Smmu.PA),
                () -> o.iommuSnapshotHostStage2(pfn * PAGE),
                () -> o.iommuFlushUnmapCache(new long[] {pfn * PAGE}, new long[] {PAGE}),
                () -> o.iommuIotlbGatherAddPage(g -> { }, org.pkvm4j.api.el2.IotlbGather.empty(), 0, PAGE),
                () -> o.pkvmUseDma(pfn * PAGE, PAGE),
                () -> o.pkvmUnuseDma(pfn * PAGE, PAGE),
                () -> o.mapModulePages(pfn, 0, 1, org.pkvm4j.api.Prot.R, false),
                () -> o.unmapModulePages(pfn, 0, 1),
                () -> o.linearMapEarly(pfn * PAGE, PAGE, org.pkvm4j.api.Prot.R),
                () -> o.linearUnmapEarly(pfn * PAGE, PAGE),
                () -> o.fixblockMap(pfn * PAGE),
                () -> o.deviceRegisterReset(dev, 0, (c, h) -> 0));
        for (Runnable r : withErrno) {
            assertEquals(Errno.EPERM, assertThrows(PkvmException.class, r::run).errno());
        }
        assertEquals(0, o.iommuDonatePages(0, true));
        assertEquals(0, o.iommuDonatePagesAtomic(0));
        o.iommuReclaimPages(pfn * PAGE, 0);
        o.iommuReclaimPagesAtomic(pfn * PAGE, 0);
        o.fixblockUnmap();
        assertEquals(0x42, o.kernHypVa(0x42), "pure: answered anyway");
        assertEquals(org.pkvm4j.machine.PageState.OWNED, mp.hostState(pfn));
        assertEquals(0, mp.dmaCount(pfn));
        assertFalse(platform.memory().isMmioOwnedByHyp(smmuPfn));
        assertEquals(1, uart.stream().filter(l -> l.contains("ModuleOps.")).count(), "reported once: " + uart);
    }

    /** Scenario: a failed init's early linear mapping and device reset callback are undone with it. */
    @Test
    void aFailedInitLeavesNoEarlyMappingNorResetCallback() {
        long pfn = Dram.BASE / PAGE + 21;
        long dev = org.pkvm4j.machine.DmaEngine.REGS_BASE;
        assertEquals(Errno.ENODEV.negated(), load("fails_keeping_its_ops", o -> {
            o.linearMapEarly(pfn * PAGE, PAGE, org.pkvm4j.api.Prot.R);
            o.deviceRegisterReset(dev, 1, (c, h) -> 0);
            throw new PkvmException(Errno.ENODEV, "no device");
        }));
        assertFalse(mp.hypCanAccess(pfn * PAGE, 8), "the early mapping went with the init");
        assertEquals(0, mp.closeModuleRegistration(), "nothing left to warn about");
        assertEquals(0, load("keeps_its_ops", o -> o.deviceRegisterReset(dev, 2, (c, h) -> 0)),
                "the reset slot was freed: another module may take it");
    }
}
