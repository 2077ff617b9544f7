package org.pkvm4j.hypervisor;

import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.hypervisor.module.El2Modules;
import org.pkvm4j.hypervisor.module.ModuleOpsTable;
import org.pkvm4j.hypervisor.traps.HypHeap;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypRequest;
import org.pkvm4j.machine.El2SysReg;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.TraceUnit;

/**
 * Host system-register traps, the panic notifier, the SError mask, hyp tracing and the EL2 heap,
 * through the hypervisor's shared ops table and its trap entry on a real machine.
 */
class TrapsTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    /** Host pages nothing else uses: 16 MiB into DRAM. */
    private static final long PFN = (Dram.BASE >>> Dram.PAGE_SHIFT) + 0x1000;

    private final Machine machine = new Machine(new MachineConfig(2, 64L << 20));
    private final TraceUnit traceUnit = machine.enableTrace(64);
    private final HypPlatform platform = machine.takeHypPlatform();
    private final HypConsole console = new HypConsole(platform.uart());
    private final HypTraps traps;
    private final ModuleOpsTable ops;

    TrapsTest() {
        MemProtect mp = new MemProtect(platform.memory());
        HypVaSpace va = new HypVaSpace(mp, platform.nrCpus());
        traps = HypTraps.create(platform, console, va);
        HostPermFaultHandlers pfh = new HostPermFaultHandlers();
        IllegalAbtNotifiers abt = new IllegalAbtNotifiers();
        KvmIommu iommu = new KvmIommu(mp, platform.memory(), line -> { });
        PkvmDevices devices = new PkvmDevices();
        ops = new ModuleOpsTable(console, platform, mp, pfh, va, abt, iommu, devices, new SmcRegistry(), traps);
        DynamicHcalls dyn = new DynamicHcalls(platform);
        Deprivilege dep = new Deprivilege(platform.nrCpus());
        El2Modules modules = new El2Modules(platform, va, ops, dyn);
        HostHcallTable table = HostHcalls.table(modules, dep, mp, new GuestVcpus(new GuestMemProtect(mp, new VmTable()), platform.nrCpus()),
                platform.nrCpus(), iommu, devices, null, traps.heap());
        platform.beforePanic((cpu, p) -> traps.panicNotifiers().beforePanic(cpu));
        machine.installEl2Vector(new HypMain(platform, dyn, table, dep, mp, pfh, abt, null, traps));
    }

    /** Runs {@code body} on CPU {@code id}, claimed for this thread (as inside a trap of the shared table). */
    private <T> T on(int id, java.util.function.Function<Cpu, T> body) {
        Cpu cpu = machine.getCpu(id);
        try {
            return body.apply(cpu);
        } finally {
            machine.putCpu(cpu);
        }
    }

    private void msr(int id, SysReg reg, long value) {
        on(id, cpu -> {
            cpu.regs().set(5, value);
            cpu.msr(reg, 5);
            return null;
        });
    }

    private long mrs(int id, SysReg reg) {
        return on(id, cpu -> {
            cpu.mrs(reg, 7);
            return cpu.regs().get(7);
        });
    }

    private long hostHcall(int id, HostHcall call, long a1) {
        return on(id, cpu -> {
            cpu.regs().set(0, Smccc.kvmHostSmcccId(call.id()));
            cpu.regs().set(1, a1);
            cpu.hvc();
            assertEquals(Smccc.RET_SUCCESS, cpu.regs().get(0));
            return cpu.regs().get(1);
        });
    }

    @Test
    void anUntrappedAccessReadsAndWritesTheCpusOwnRegister() {
        msr(0, SysReg.TTBR1_EL1, 0x4000_1000L);
        assertEquals(0x4000_1000L, mrs(0, SysReg.TTBR1_EL1));
        assertEquals(0, mrs(1, SysReg.TTBR1_EL1), "each CPU has its own");
        assertEquals(SysReg.ID_AA64MMFR0_EL1.resetValue(), mrs(1, SysReg.ID_AA64MMFR0_EL1));
        assertThrows(IllegalArgumentException.class, () -> msr(0, SysReg.ID_AA64PFR0_EL1, 0), "MSR to an ID register is UNDEFINED");
    }

    @Test
    void hcrTvmTrapsWritesOnThatCpuOnlyAndTheHandlerSeesTheEncodingAndRt() {
        List<Long> esrs = new ArrayList<>();
        ops.registerDefaultTrapHandler((regs, esr) -> {
            esrs.add(esr);
            ops.writeSysreg(SysReg.fromEsr(esr), regs.get(SysReg.esrRt(esr)) | 1); // emulate, setting M
            return true;
        });
        on(0, cpu -> {
            ops.updateHcrEl2(Hcr.TVM, 0);
            return null;
        });
        assertEquals(Hcr.HOST_NVHE_FLAGS | Hcr.TVM, on(0, platform::hcrEl2));
        assertEquals(Hcr.HOST_NVHE_FLAGS | Hcr.TVM, traps.params().saved(machine.cpus().get(0), El2SysReg.HCR_EL2), "saved across suspend, too");

        msr(0, SysReg.SCTLR_EL1, 0x30D0_0800L);
        assertEquals(1, esrs.size());
        long esr = esrs.getFirst();
        assertEquals(SysReg.EC_SYS64, (int) (esr >>> 26));
        assertEquals(SysReg.SCTLR_EL1, SysReg.fromEsr(esr));
        assertEquals(5, SysReg.esrRt(esr));
        assertFalse(SysReg.esrIsRead(esr));
        assertEquals(0x30D0_0801L, mrs(0, SysReg.SCTLR_EL1), "the handler's emulation, and TVM does not trap reads");

        msr(1, SysReg.SCTLR_EL1, 0x1234);
        assertEquals(1, esrs.size(), "CPU1's HCR_EL2 is unchanged: no trap");
        assertEquals(0x1234, mrs(1, SysReg.SCTLR_EL1));
        msr(0, SysReg.VBAR_EL1, 0x8000);
        assertEquals(1, esrs.size(), "TVM does not cover VBAR_EL1");
    }

    @Test
    void trvmTrapsReadsAndTheMrsReadsWhatTheHandlerWroteToRt() {
        ops.registerDefaultTrapHandler((regs, esr) -> {
            regs.set(SysReg.esrRt(esr), 0xFEED);
            return SysReg.esrIsRead(esr);
        });
        on(1, cpu -> {
            ops.updateHcrEl2(Hcr.TRVM, 0);
            return null;
        });
        assertEquals(0xFEED, mrs(1, SysReg.TCR_EL1));
        assertEquals(0, mrs(0, SysReg.TCR_EL1));
    }

    @Test
    void aFineGrainedWriteTrapCoversOneRegister() {
        List<SysReg> seen = new ArrayList<>();
        ops.registerDefaultTrapHandler((regs, esr) -> seen.add(SysReg.fromEsr(esr)));
        on(0, cpu -> {
            ops.updateHfgwtrEl2(SysReg.VBAR_EL1.hfgwtrBit() | SysReg.TCR_EL1.hfgwtrBit(), 0);
            ops.updateHfgwtrEl2(0, SysReg.TCR_EL1.hfgwtrBit());
            return null;
        });
        assertEquals(SysReg.VBAR_EL1.hfgwtrBit(), traps.params().saved(machine.cpus().get(0), El2SysReg.HFGWTR_EL2));
        msr(0, SysReg.VBAR_EL1, 0x1000);
        msr(0, SysReg.TCR_EL1, 0x19);
        msr(0, SysReg.SCTLR_EL1, 0x5);
        assertEquals(List.of(SysReg.VBAR_EL1), seen);
        assertEquals(0, mrs(0, SysReg.VBAR_EL1), "a trapped write the handler did not emulate changes nothing");
        assertEquals(0x19, mrs(0, SysReg.TCR_EL1));
    }

    @Test
    void aTrapNoHandlerTakesIsAHypPanicNamingTheRegister() {
        on(0, cpu -> {
            ops.updateHcrEl2(Hcr.TACR, 0);
            return null;
        });
        HypPanicException e = assertThrows(HypPanicException.class, () -> msr(0, SysReg.ACTLR_EL1, 1));
        assertTrue(e.panic().reason().startsWith("PKVM-HYP-TRAP: unhandled trap of the host's MSR ACTLR_EL1"), e.panic().reason());
    }

    @Test
    void aHandlerThatDeclinesPanicsToo() {
        ops.registerDefaultTrapHandler((regs, esr) -> false);
        on(1, cpu -> {
            ops.updateHcrEl2(Hcr.TID3, 0);
            return null;
        });
        HypPanicException e = assertThrows(HypPanicException.class, () -> mrs(1, SysReg.ID_AA64PFR0_EL1));
        assertTrue(e.panic().reason().contains("MRS ID_AA64PFR0_EL1"), e.panic().reason());
        assertThrows(PkvmException.class, () -> ops.registerDefaultTrapHandler((r, esr) -> true), "EBUSY: one slot");
    }

    @Test
    void onlyTheModelledTrapBitsMayChangeAndTheSavedValuesAreRestored() {
        on(0, cpu -> {
            PkvmException e = assertThrows(PkvmException.class, () -> ops.updateHcrEl2(0, Hcr.VM));
            assertEquals(Errno.EINVAL, e.errno());
            ops.updateHcrEl2(Hcr.TVM | Hcr.TID1, Hcr.TID1);
            ops.updateHfgwtrEl2(SysReg.MAIR_EL1.hfgwtrBit(), 0);
            platform.writeHcrEl2(cpu, Hcr.HOST_NVHE_FLAGS); // the CPU lost its state (a power-down)
            platform.writeHfgwtrEl2(cpu, 0);
            traps.params().restore(cpu);
            assertEquals(Hcr.HOST_NVHE_FLAGS | Hcr.TVM, platform.hcrEl2(cpu));
            assertEquals(SysReg.MAIR_EL1.hfgwtrBit(), platform.hfgwtrEl2(cpu));
            return null;
        });
    }

    @Test
    void thePanicNotifierRunsBeforeTheReportAndOneThatThrowsDoesNotStopIt() {
        List<String> uart = new ArrayList<>();
        platform.uart().attach(uart::add);
        AtomicReference<HypPanic> atNotify = new AtomicReference<>(new HypPanic(9, "", "", 0));
        List<Long> x0 = new ArrayList<>();
        ops.registerHypPanicNotifier(regs -> {
            atNotify.set(machine.panic());
            x0.add(regs.get(0));
            throw new IllegalStateException("notifier failed");
        });
        on(0, cpu -> {
            ops.updateHcrEl2(Hcr.TACR, 0);
            return null;
        });
        HypPanicException e = assertThrows(HypPanicException.class, () -> msr(0, SysReg.ACTLR_EL1, 1));
        assertNull(atNotify.get(), "no report recorded while the notifier ran");
        assertEquals(1, x0.size());
        assertEquals(e.panic(), machine.panic());
        assertTrue(uart.stream().anyMatch(l -> l.contains("hyp panic notifier of module pkvm threw java.lang.IllegalStateException")),
                uart.toString());
    }

    @Test
    void anSerrorIsTakenAtEl2OnlyWhileUnmasked() {
        List<String> calls = new ArrayList<>();
        boolean[] unmask = {false};
        ops.registerUnmaskSerror(() -> {
            calls.add("unmask");
            return unmask[0];
        }, () -> calls.add("mask"));
        machine.raiseSerror(0);
        assertEquals(Errno.EINVAL.negated(), hostHcall(0, HostHcall.PKVM_HYP_ALLOC_REFILL, -1), "the call ran");
        assertEquals(1, on(0, Cpu::hostSerrors), "masked at EL2: the host took it on the way back");
        assertEquals(List.of("unmask"), calls);

        unmask[0] = true;
        hostHcall(1, HostHcall.PKVM_HYP_ALLOC_REFILL, -1);
        assertEquals(List.of("unmask", "unmask", "mask"), calls, "mask() on the way out of an unmasked trap");
        machine.raiseSerror(1);
        HypPanicException e = assertThrows(HypPanicException.class, () -> hostHcall(1, HostHcall.PKVM_HYP_ALLOC_REFILL, -1));
        assertTrue(e.panic().reason().startsWith("PKVM-HYP-SERROR: SError taken at EL2 on CPU1"), e.panic().reason());
        assertEquals(0, on(1, Cpu::hostSerrors));
    }

    @Test
    void theHeapFailsWithEnomemUntilTheHostDonatesThenServesZeroedMemory() {
        on(0, cpu -> {
            assertEquals(0, ops.hypAlloc(100));
            assertEquals(Errno.ENOMEM.negated(), ops.hypAllocErrno());
            assertEquals(1, ops.hypAllocMissingDonations());
            ops.requestHypAlloc();
            assertThrows(PkvmException.class, ops::requestHypAlloc, "EBUSY: one pending request per CPU");
            long request = cpu.takeHypRequest();
            assertEquals(List.of(HypRequest.DEST_HYP_ALLOC, 1), List.of(HypRequest.dest(request), HypRequest.nrPages(request)));
            return null;
        });
        assertEquals(0, hostHcall(1, HostHcall.PKVM_HYP_ALLOC_REFILL, PFN));
        assertNotEquals(0, hostHcall(1, HostHcall.PKVM_HYP_ALLOC_REFILL, PFN), "a page the host no longer owns");
        on(0, cpu -> {
            long a = ops.hypAlloc(100);
            assertNotEquals(0, a);
            assertEquals(0, ops.hypAllocErrno());
            assertEquals(0, ops.load64(a + 96));
            ops.store64(a, 0x1122_3344_5566_7788L);
            assertEquals(0x1122_3344_5566_7788L, ops.load64(a));
            long b = ops.hypAlloc(PAGE - 104);
            assertEquals(a + 104, b, "first fit, right after the 104 bytes of a");
            assertEquals(0, ops.hypAlloc(8), "the page is full");
            assertEquals(1, ops.hypAllocMissingDonations());
            ops.hypFree(a);
            assertEquals(a, ops.hypAlloc(8), "freed memory is reused");
            PkvmException e = assertThrows(PkvmException.class, () -> ops.hypFree(b + 8));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals(0, ops.hypAlloc(0));
            assertEquals(Errno.EINVAL.negated(), ops.hypAllocErrno());
            assertEquals(0, ops.hypAlloc((HypHeap.MAX_PAGES + 1) * PAGE));
            assertEquals(Errno.E2BIG.negated(), ops.hypAllocErrno());
            return null;
        });
        assertEquals(1, traps.heap().pages());
    }

    @Test
    void moduleEventsGoToTheTraceUnitOnTheirCpu() {
        assertEquals(0, hostHcall(0, HostHcall.PKVM_HYP_ALLOC_REFILL, PFN + 1));
        on(1, cpu -> {
            long e = ops.tracingReserveEntry(4);
            assertNotEquals(0, e);
            ops.store8(e, (byte) 7);
            ops.store8(e + 1, (byte) 1);
            ops.store8(e + 2, (byte) 0xAB);
            ops.store8(e + 3, (byte) 0xCD);
            ops.tracingCommitEntry();
            ops.tracingCommitEntry(); // nothing reserved: nothing written
            ops.tracingModHypPrintk(3, 1, 2, 3, 0xFF);
            assertEquals(0, ops.tracingReserveEntry(1000));
            return null;
        });
        List<TraceUnit.Span> spans = new ArrayList<>();
        traceUnit.drain(spans::add);
        assertEquals(2, spans.size(), spans.toString());
        assertEquals(new TraceUnit.Span(1, "pkvm", "hyp_event 263: abcd", TraceUnit.HYP_EVENT, spans.get(0).startNanos(), 0),
                spans.get(0));
        assertEquals("mod_hyp_printk fmt 3: 0x1 0x2 0x3 0xff", spans.get(1).symbol());
        assertEquals(1, spans.get(1).cpu());
    }

    @Test
    void udelayBusyWaitsOnTheClockWithinItsBound() {
        on(0, cpu -> {
            long t = platform.uptimeNanos();
            ops.udelay(2_000);
            assertTrue(platform.uptimeNanos() - t >= 2_000_000);
            assertThrows(PkvmException.class, () -> ops.udelay(org.pkvm4j.api.el2.ModuleOps.MAX_UDELAY_US + 1));
            assertThrows(PkvmException.class, () -> ops.udelay(-1));
            return null;
        });
    }
}
