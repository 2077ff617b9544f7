package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcallTable;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.hypervisor.module.ModuleOpsTable;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;
import org.pkvm4j.machine.Stage2Fault;

/**
 * host_stage2_mod_prot, the permission-fault handlers and the ModuleOps memory members, through the
 * machine's host access path and the EL2 vector.
 */
class HostStage2ProtTest {
    static final int EPERM = -Errno.EPERM.code();
    static final int EINVAL = -Errno.EINVAL.code();
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final int NR_PAGES = 64;
    static final long BASE_PFN = Dram.BASE / PAGE;

    private final Machine machine = new Machine(new MachineConfig(2, NR_PAGES * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HostPermFaultHandlers handlers = new HostPermFaultHandlers();
    private final ModuleOpsTable ops = new ModuleOpsTable(new HypConsole(platform.uart()), platform, mp, handlers);
    private final HostMemory host = machine.hostMemory();

    HostStage2ProtTest() {
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

    @Test
    void protBitsLiveInFreeBitsOfTheWordAndAnnotationsClearThem() {
        long w = HypPage.withHostProt(HypPage.INITIAL, Prot.R);
        assertEquals(Prot.R, HypPage.hostProt(w));
        assertTrue(HypPage.hostProtRestricted(w));
        assertTrue(HypPage.hostReadable(w));
        assertFalse(HypPage.hostWritable(w));
        assertEquals(PageState.OWNED, HypPage.hostState(w));
        assertEquals(0, HypPage.refcount(w));
        assertEquals(0, HypPage.shareGuestCount(w));
        assertEquals(Prot.RWX, HypPage.hostProt(HypPage.withHostProt(w, Prot.RWX)));
        assertEquals(HypPage.INITIAL, HypPage.withHostProt(w, Prot.RWX), "RWX is the all-zero default");
        assertFalse(HypPage.hostProtRestricted(HypPage.withAnnotation(w, OwnerId.HYP)));
        assertThrows(IllegalArgumentException.class, () -> HypPage.withHostProt(0, 8));
        assertTrue(HypPage.describe(w).contains("host prot R--"), HypPage.describe(w));
    }

    @Test
    void modProtChecksAndErrnos() {
        long pfn = BASE_PFN + 4;
        assertEquals(EINVAL, mp.hostStage2ModProt(pfn, 8, 1), "bits beyond RWX");
        assertEquals(EINVAL, mp.hostStage2ModProt(pfn, Prot.R, -1));
        assertEquals(EPERM, mp.hostStage2ModProt(Machine.UART_PA / PAGE, Prot.R, 1), "MMIO");
        assertEquals(EINVAL, mp.hostStage2ModProt(BASE_PFN + NR_PAGES - 1, Prot.R, 2), "straddles memory and MMIO");
        assertEquals(0, mp.hostShareHyp(pfn + 1));
        assertEquals(EPERM, mp.hostStage2ModProt(pfn, Prot.R, 2), "not all pristine");
        assertEquals(Prot.RWX, mp.hostProt(pfn), "a failure changes nothing");

        assertEquals(0, mp.hostStage2ModProt(pfn, Prot.R, 1));
        assertEquals(Prot.R, mp.hostProt(pfn));
        assertEquals(EPERM, mp.hostStage2ModProt(pfn, Prot.RW, 2), "mixed restricted and pristine");
        assertEquals(EPERM, mp.hostShareHyp(pfn), "a module-owned page cannot be shared");
        assertEquals(EPERM, mp.hostDonateHyp(pfn, 1), "nor donated");
        assertEquals(0, mp.hostStage2ModProt(pfn, Prot.RW, 1), "a restricted page may be changed again");
        assertEquals(0, mp.hostStage2ModProt(pfn, Prot.RWX, 1));
        assertEquals(0, mp.hostDonateHyp(pfn, 1), "pristine again");
        assertEquals(EPERM, mp.hostStage2ModProt(pfn, Prot.R, 1), "not host OWNED");
    }

    @Test
    void aStoreToAWriteProtectedPageFaultsIntoTheHandlersInOrder() {
        long pfn = BASE_PFN + 5;
        long pa = pfn * PAGE;
        host.store64(pa, 1);
        ops.hostStage2ModProt(pfn, Prot.R, 1);

        Stage2Fault f = assertThrows(Stage2Fault.class, () -> host.store64(pa, 2), "no handler: injected");
        assertTrue(f.write());
        assertEquals(OwnerId.HOST, f.owner());
        assertEquals(1, host.load64(pa), "loads pass");

        List<String> calls = new ArrayList<>();
        long[] esr = new long[1];
        ops.registerHostPermFaultHandler((regs, e, addr) -> {
            calls.add("first 0x" + Long.toHexString(addr));
            return EPERM;
        });
        ops.registerHostPermFaultHandler((regs, e, addr) -> {
            calls.add("second");
            esr[0] = e;
            return 0;
        });
        ops.registerHostPermFaultHandler((regs, e, addr) -> {
            calls.add("third");
            return 0;
        });
        host.store64(pa + 8, 3);
        assertEquals(List.of("first 0x" + Long.toHexString(pa + 8), "second"), calls, "in order, up to the first 0");
        assertEquals(HostPermFaultHandlers.esr(true), esr[0]);
        assertEquals(0x24, esr[0] >>> 26 & 0x3F, "EC: data abort from a lower EL");
        assertEquals(1L << 6, esr[0] & (1L << 6), "WnR");
        assertEquals(0, host.load64(pa + 8), "claimed and still read-only: the store was emulated (skipped)");

        // A handler that relaxes the protection: the retried access completes.
        HostPermFaultHandlers fresh = new HostPermFaultHandlers();
        fresh.register((regs, e, addr) -> mp.hostStage2ModProt(addr / PAGE, Prot.RWX, 1));
        assertTrue(fresh.dispatch(null, pa, true));
        assertEquals(Prot.RWX, mp.hostProt(pfn));
    }

    @Test
    void aHandlerThatRelaxesTheProtectionLetsTheAccessComplete() {
        long pfn = BASE_PFN + 6;
        long pa = pfn * PAGE;
        ops.registerHostPermFaultHandler((regs, e, addr) -> mp.hostStage2ModProt(addr / PAGE, Prot.RWX, 1));
        ops.hostStage2ModProt(pfn, Prot.NONE, 1);
        host.store64(pa, 77);
        assertEquals(Prot.RWX, mp.hostProt(pfn));
        assertEquals(77, host.load64(pa));
    }

    @Test
    void sixteenSlotsThenEbusy() {
        for (int i = 0; i < HostPermFaultHandlers.MAX_HANDLERS; i++) {
            ops.registerHostPermFaultHandler((regs, e, addr) -> EPERM);
        }
        assertEquals(16, handlers.count());
        PkvmException e = assertThrows(PkvmException.class,
                () -> ops.registerHostPermFaultHandler((regs, esr, addr) -> 0));
        assertEquals(Errno.EBUSY, e.errno());
    }

    @Test
    void el2AccessesNeedAnEl2Mapping() {
        long pfn = BASE_PFN + 8;
        long va = ops.hypVa(pfn * PAGE);
        assertEquals(pfn * PAGE, ops.hypPa(va), "identity linear map");
        assertEquals(Errno.EFAULT, assertThrows(PkvmException.class, () -> ops.load64(va)).errno());
        assertEquals(Errno.EFAULT, assertThrows(PkvmException.class, () -> ops.store64(va, 1)).errno());
        assertEquals(Errno.EFAULT, assertThrows(PkvmException.class, () -> ops.memset(va, 0, 8)).errno());
        assertEquals(Errno.EFAULT, assertThrows(PkvmException.class, () -> ops.load64(Machine.UART_PA)).errno());

        ops.hostDonateHyp(pfn, 2);
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class, () -> ops.hostDonateHyp(pfn, 1)).errno());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class, () -> ops.load64(va + 4)).errno());
        ops.memset(va, 0xAB, 2 * PAGE);
        assertEquals(0xABABABABABABABABL, ops.load64(va + PAGE + 8));
        ops.store64(va, 0x1122334455667788L);
        ops.memcpy(va + PAGE + 1, va, 8);
        assertEquals(0x22334455667788ABL, ops.load64(va + PAGE), "unaligned copy, little-endian");
        assertEquals(Errno.EFAULT, assertThrows(PkvmException.class, () -> ops.memcpy(va + PAGE, va, 2 * PAGE)).errno(),
                "the source runs past the donated pages");
        ops.flushDcacheToPoc(va, PAGE);
        assertEquals(0x22334455667788ABL, ops.load64(va + PAGE), "a clean changes no byte");
        assertEquals(Errno.EFAULT, assertThrows(PkvmException.class, () -> ops.flushDcacheToPoc(va, 3 * PAGE)).errno(),
                "DC CVAC past the donated pages faults in C");
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class, () -> ops.flushDcacheToPoc(va, -1)).errno());

        // Shared pages: accessible at EL2 only while pinned.
        long shared = BASE_PFN + 12;
        ops.hostShareHyp(shared);
        assertThrows(PkvmException.class, () -> ops.load64(shared * PAGE));
        ops.pinSharedMem(shared * PAGE, shared * PAGE + 8);
        host.store64(shared * PAGE, 5);
        assertEquals(5, ops.load64(shared * PAGE));
        assertEquals(Errno.EBUSY, assertThrows(PkvmException.class, () -> ops.hostUnshareHyp(shared)).errno());
        ops.unpinSharedMem(shared * PAGE, shared * PAGE + 8);
        ops.hostUnshareHyp(shared);

        ops.hypDonateHost(pfn, 2);
        assertEquals(0xABABABABABABABABL, host.load64(pfn * PAGE + PAGE + 16), "given back as EL2 left it");
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class, () -> ops.hypDonateHost(pfn, 1)).errno());
    }
}
