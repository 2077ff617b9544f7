package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcallTable;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.hypervisor.module.ModuleOpsTable;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * The android14-5.15 shapes of ModuleOps (KMI generations, ADR 0016): the single-page {@code
 * host_stage2_mod_prot(pfn, prot)} and the callbacks that take a {@code kvm_cpu_context}, sharing the
 * slots of the {@code user_pt_regs} shapes.
 */
class KvmCpuContextShapesTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final long BASE_PFN = Dram.BASE / PAGE;
    static final int EPERM = -Errno.EPERM.code();

    private final Machine machine = new Machine(new MachineConfig(2, 64 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HostPermFaultHandlers handlers = new HostPermFaultHandlers();
    private final IllegalAbtNotifiers notifiers = new IllegalAbtNotifiers();
    private final ModuleOpsTable ops = new ModuleOpsTable(new HypConsole(platform.uart()), platform, mp, handlers,
            new HypVaSpace(mp, 2), notifiers);
    private final HostMemory host = machine.hostMemory();

    KvmCpuContextShapesTest() {
        machine.installEl2Vector(new HypMain(platform, new DynamicHcalls(platform),
                HostHcallTable.of(MemProtectTest.withNoOpGuestCalls(HostHcall.PKVM_ALLOC_MODULE_VA, (c, r) -> { },
                        HostHcall.PKVM_UNMAP_MODULE_PAGE, (c, r) -> { },
                        HostHcall.PKVM_INIT_MODULE, (c, r) -> { },
                        HostHcall.PKVM_REGISTER_HCALL, (c, r) -> { },
                        HostHcall.PKVM_PROT_FINALIZE, (c, r) -> { },
                        HostHcall.PKVM_HOST_SHARE_HYP, (c, r) -> r.set(1, mp.hostShareHyp(r.get(1))),
                        HostHcall.PKVM_HOST_UNSHARE_HYP, (c, r) -> r.set(1, mp.hostUnshareHyp(r.get(1))))),
                new Deprivilege(2), mp, handlers));
    }

    private static Errno errno(Runnable r) {
        return assertThrows(PkvmException.class, r::run).errno();
    }

    /** Scenario: the 5.15 host_stage2_mod_prot restricts exactly one page, with the ranged form's errnos. */
    @Test
    void singlePageModProt() {
        long pfn = BASE_PFN + 6;
        ops.hostStage2ModProt(pfn, Prot.R);
        assertEquals(Prot.R, mp.hostProt(pfn));
        assertEquals(Prot.RWX, mp.hostProt(pfn + 1), "only the one page");
        assertEquals(Errno.EINVAL, errno(() -> ops.hostStage2ModProt(pfn, 8)), "bits beyond RWX");
        assertEquals(Errno.EPERM, errno(() -> ops.hostStage2ModProt(Machine.UART_PA / PAGE, Prot.R)), "MMIO");
        ops.hostStage2ModProt(pfn, Prot.RWX);
        assertEquals(Prot.RWX, mp.hostProt(pfn), "restored");
    }

    /** Scenario: a kvm_cpu_context handler sees the host's registers, and runs in registration order with the other shape. */
    @Test
    void contextPermFaultHandlerSharesTheSlotsInOrder() {
        long pfn = BASE_PFN + 7;
        long pa = pfn * PAGE;
        ops.hostStage2ModProt(pfn, Prot.R);
        List<String> calls = new ArrayList<>();
        ops.registerHostPermFaultHandler((regs, esr, addr) -> {
            calls.add("user_pt_regs");
            return EPERM;
        });
        ops.registerHostPermFaultHandlerCtxt((KvmCpuContext ctxt, long esr, long addr) -> {
            calls.add("kvm_cpu_context 0x" + Long.toHexString(addr) + (ctxt.regs() != null ? " regs" : ""));
            return 0;
        });
        host.store64(pa, 1);
        assertEquals(2, calls.size(), calls::toString);
        assertEquals("user_pt_regs", calls.get(0));
        assertEquals("kvm_cpu_context 0x" + Long.toHexString(pa) + " regs", calls.get(1));
        assertEquals(0, host.load64(pa), "claimed and still read-only: the store was emulated");
        for (int i = 2; i < HostPermFaultHandlers.MAX_HANDLERS; i++) {
            ops.registerHostPermFaultHandlerCtxt((ctxt, esr, addr) -> EPERM);
        }
        assertEquals(Errno.EBUSY, errno(() -> ops.registerHostPermFaultHandlerCtxt((ctxt, esr, addr) -> 0)), "16 slots for both shapes");
        assertEquals(Errno.EBUSY, errno(() -> ops.registerHostPermFaultHandler((regs, esr, addr) -> 0)));
    }

    /** Scenario: one illegal-abort notifier slot for both shapes; the 5.15 one reads the host's registers as a context. */
    @Test
    void contextAbtNotifierTakesTheOneSlot() {
        long[] seen = new long[1];
        ops.registerIllegalAbtNotifierCtxt(ctxt -> seen[0] = ctxt.regs().get(0) + 1);
        assertEquals(Errno.EBUSY, errno(() -> ops.registerIllegalAbtNotifier(regs -> { })));
        assertEquals(Errno.EBUSY, errno(() -> ops.registerIllegalAbtNotifierCtxt(ctxt -> { })));
        Cpu cpu = machine.getCpu(0);
        try {
            cpu.regs().set(0, 41);
            notifiers.beforeInjection(cpu.regs());
        } finally {
            machine.putCpu(cpu);
        }
        assertEquals(42, seen[0]);
    }
}
