package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcallTable;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.hypervisor.setup.PkvmImage;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.HypOptions;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;
import org.pkvm4j.machine.Stage2Fault;

/** Every host/hyp transition of PKVM.md §4.5: success, each errno, and the exact states before and after. */
class MemProtectTest {
    static final int EPERM = -Errno.EPERM.code();
    static final int EINVAL = -Errno.EINVAL.code();
    static final int EBUSY = -Errno.EBUSY.code();
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final int NR_PAGES = 64;
    static final long BASE_PFN = Dram.BASE / PAGE;
    static final long END_PFN = BASE_PFN + NR_PAGES;
    static final long MMIO_PFN = Machine.UART_PA / PAGE;
    static final long PFN_LIMIT = 1L << (Dram.PA_BITS - Dram.PAGE_SHIFT);

    private final Machine machine = new Machine(new MachineConfig(2, NR_PAGES * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());

    /** Asserts host and hyp state of {@code pfn}, its annotation owner when the host has no access, and its pins. */
    static void assertPage(MemProtect mp, long pfn, PageState host, PageState hyp, int pins) {
        assertEquals(host, mp.hostState(pfn), "host state of pfn 0x" + Long.toHexString(pfn));
        assertEquals(hyp, mp.hypState(pfn), "hyp state of pfn 0x" + Long.toHexString(pfn));
        assertEquals(pins, mp.pinCount(pfn), "pins of pfn 0x" + Long.toHexString(pfn));
        long w = mp.snapshot(pfn, 1)[0];
        assertEquals(host == PageState.NOPAGE ? OwnerId.HYP : OwnerId.HOST, HypPage.annotationOwner(w), "annotation");
    }

    private void assertPage(long pfn, PageState host, PageState hyp, int pins) {
        assertPage(mp, pfn, host, hyp, pins);
    }

    private void assertUntouched(long pfn, long nr) {
        for (long p = pfn; p < pfn + nr; p++) {
            assertPage(p, PageState.OWNED, PageState.NOPAGE, 0);
        }
    }

    // ---- __pkvm_host_share_hyp / __pkvm_host_unshare_hyp

    @Test
    void shareHypThenUnshare() {
        long pfn = BASE_PFN + 3;
        assertUntouched(pfn, 1);
        assertEquals(0, mp.hostShareHyp(pfn));
        assertPage(pfn, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 0);
        assertFalse(mp.isHypMapped(pfn), "EL2 maps a shared page only on its first pin");
        assertTrue(machine.hostMemory().isAccessible(pfn * PAGE), "the host keeps access to a page it shares");
        assertEquals(0, mp.hostUnshareHyp(pfn));
        assertUntouched(pfn, 1);
    }

    @Test
    void shareHypRefusesAnythingButAHostOwnedPage() {
        long pfn = BASE_PFN;
        assertEquals(0, mp.hostShareHyp(pfn));
        assertEquals(EPERM, mp.hostShareHyp(pfn), "already shared");
        assertPage(pfn, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 0);
        assertEquals(0, mp.hostDonateHyp(pfn + 1, 1));
        assertEquals(EPERM, mp.hostShareHyp(pfn + 1), "owned by hyp");
        assertPage(pfn + 1, PageState.NOPAGE, PageState.OWNED, 0);
    }

    @Test
    void shareAndUnshareHypOfNonMemoryIsEperm() {
        // No pfn_range_is_valid here: a pfn outside DRAM, or past the PA range, is simply not memory.
        for (long pfn : new long[] {MMIO_PFN, BASE_PFN - 1, END_PFN, PFN_LIMIT, 1L << 52}) {
            assertEquals(EPERM, mp.hostShareHyp(pfn), "share 0x" + Long.toHexString(pfn));
            assertEquals(EPERM, mp.hostUnshareHyp(pfn), "unshare 0x" + Long.toHexString(pfn));
        }
        // The last page of the u64 space: phys + size wraps to 0, so the range's last byte is
        // ULONG_MAX, which no kvm_mem_range contains: check_range_allowed_memory says -EINVAL.
        assertEquals(EINVAL, mp.hostShareHyp(-1L));
        assertEquals(EINVAL, mp.hostUnshareHyp(-1L));
        assertUntouched(BASE_PFN, NR_PAGES);
        assertEquals(0, machine.dram().metadataBytes(), "refused calls wrote nothing");
    }

    @Test
    void unshareHypRefusesAPageThatIsNotShared() {
        assertEquals(EPERM, mp.hostUnshareHyp(BASE_PFN), "host owned");
        assertUntouched(BASE_PFN, 1);
        assertEquals(0, mp.hostDonateHyp(BASE_PFN, 1));
        assertEquals(EPERM, mp.hostUnshareHyp(BASE_PFN), "hyp owned");
        assertPage(BASE_PFN, PageState.NOPAGE, PageState.OWNED, 0);
    }

    @Test
    void unshareHypOfAPinnedPageIsEbusyAndChangesNothing() {
        long pfn = BASE_PFN + 9;
        long pa = pfn * PAGE;
        assertEquals(0, mp.hostShareHyp(pfn));
        assertEquals(0, mp.hypPinSharedMem(pa + 16, pa + 24));
        assertEquals(EBUSY, mp.hostUnshareHyp(pfn));
        assertPage(pfn, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 1);
        mp.hypUnpinSharedMem(pa + 16, pa + 24);
        assertEquals(0, mp.hostUnshareHyp(pfn));
        assertUntouched(pfn, 1);
    }

    // ---- hyp_pin_shared_mem / hyp_unpin_shared_mem

    @Test
    void pinsCountAndMapAtEl2() {
        long pfn = BASE_PFN + 4;
        long pa = pfn * PAGE;
        assertEquals(0, mp.hostShareHyp(pfn));
        assertEquals(0, mp.hostShareHyp(pfn + 1));
        // [from, to) covers both pages: to is rounded up, from down.
        assertEquals(0, mp.hypPinSharedMem(pa + 100, pa + PAGE + 1));
        assertEquals(0, mp.hypPinSharedMem(pa, pa + PAGE));
        assertPage(pfn, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 2);
        assertPage(pfn + 1, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 1);
        assertTrue(mp.isHypMapped(pfn) && mp.isHypMapped(pfn + 1));
        mp.hypUnpinSharedMem(pa, pa + 2 * PAGE);
        assertPage(pfn, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 1);
        assertPage(pfn + 1, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 0);
        assertFalse(mp.isHypMapped(pfn + 1), "the last unpin unmaps");
        assertTrue(mp.isHypMapped(pfn));
    }

    @Test
    void pinIsAllOrNothing() {
        long pfn = BASE_PFN + 10;
        long pa = pfn * PAGE;
        assertEquals(0, mp.hostShareHyp(pfn));
        assertEquals(EPERM, mp.hypPinSharedMem(pa, pa + 2 * PAGE), "second page not shared");
        assertPage(pfn, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 0);
        assertEquals(EPERM, mp.hypPinSharedMem(pa + PAGE, pa + 2 * PAGE), "host owned");
        assertEquals(0, mp.hostDonateHyp(pfn + 1, 1));
        assertEquals(EPERM, mp.hypPinSharedMem(pa + PAGE, pa + 2 * PAGE), "hyp owned");
        assertPage(pfn + 1, PageState.NOPAGE, PageState.OWNED, 0);
    }

    @Test
    void pinChecksTheMemoryRange() {
        long last = (END_PFN - 1) * PAGE;
        assertEquals(0, mp.hostShareHyp(END_PFN - 1));
        assertEquals(EINVAL, mp.hypPinSharedMem(last, last + 2 * PAGE), "straddles DRAM's end");
        assertEquals(EINVAL, mp.hypPinSharedMem(Dram.BASE - PAGE, Dram.BASE + PAGE), "straddles DRAM's start");
        assertEquals(EPERM, mp.hypPinSharedMem(Machine.UART_PA, Machine.UART_PA + 8), "MMIO");
        assertEquals(EINVAL, mp.hypPinSharedMem(last + 8, last), "to < from");
        assertPage(END_PFN - 1, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 0);
    }

    @Test
    void unpinOfAnUnpinnedPageIsABugAndChangesNothing() {
        long pfn = BASE_PFN + 12;
        long pa = pfn * PAGE;
        assertEquals(0, mp.hostShareHyp(pfn));
        assertEquals(0, mp.hostShareHyp(pfn + 1));
        assertEquals(0, mp.hypPinSharedMem(pa, pa + PAGE));
        assertThrows(IllegalStateException.class, () -> mp.hypUnpinSharedMem(pa, pa + 2 * PAGE));
        assertPage(pfn, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 1);
        assertThrows(IllegalStateException.class, () -> mp.hypUnpinSharedMem(Machine.UART_PA, Machine.UART_PA + 1));
    }

    @Test
    void aPinPastU16IsABug() {
        long pfn = BASE_PFN;
        long pa = pfn * PAGE;
        assertEquals(0, mp.hostShareHyp(pfn));
        platform.memory().setPageWord(pfn, HypPage.withRefcount(platform.memory().pageWord(pfn), HypPage.MAX_REFCOUNT));
        assertThrows(IllegalStateException.class, () -> mp.hypPinSharedMem(pa, pa + 1));
        assertEquals(HypPage.MAX_REFCOUNT, mp.pinCount(pfn));
    }

    // ---- __pkvm_host_donate_hyp / __pkvm_hyp_donate_host

    @Test
    void donateHypTakesTheRangeFromTheHostAndDonateHostGivesItBack() {
        long pfn = BASE_PFN + 20;
        HostMemory host = machine.hostMemory();
        host.store64(pfn * PAGE, 0xCAFE);
        assertEquals(0, mp.hostDonateHyp(pfn, 8));
        for (long p = pfn; p < pfn + 8; p++) {
            assertPage(p, PageState.NOPAGE, PageState.OWNED, 0);
            assertTrue(mp.isHypMapped(p));
            assertFalse(host.isAccessible(p * PAGE));
        }
        assertUntouched(pfn - 1, 1);
        assertUntouched(pfn + 8, 1);
        Stage2Fault f = assertThrows(Stage2Fault.class, () -> host.load64(pfn * PAGE));
        assertEquals(OwnerId.HYP, f.owner());
        assertEquals(0, mp.hypDonateHost(pfn, 8));
        assertUntouched(pfn, 8);
        assertFalse(mp.isHypMapped(pfn));
        assertEquals(0xCAFE, host.load64(pfn * PAGE), "hyp_donate_host does not clear the page");
    }

    @Test
    void donateHypRangeErrors() {
        assertEquals(EINVAL, mp.hostDonateHyp(PFN_LIMIT, 1), "pfn past the PA range");
        assertEquals(EINVAL, mp.hostDonateHyp(PFN_LIMIT - 1, 2), "range past the PA range");
        assertEquals(EINVAL, mp.hostDonateHyp(BASE_PFN, -1L), "nr_pages as u64: overflow");
        assertEquals(EINVAL, mp.hostDonateHyp(-1L, 1), "pfn as u64");
        assertEquals(EINVAL, mp.hostDonateHyp(END_PFN - 1, 2), "straddles DRAM's end");
        assertEquals(EINVAL, mp.hostDonateHyp(BASE_PFN - 1, 2), "straddles DRAM's start");
        assertEquals(EPERM, mp.hostDonateHyp(MMIO_PFN, 1), "MMIO");
        assertEquals(EPERM, mp.hostDonateHyp(END_PFN, 4), "above DRAM");
        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 5, 0), "nothing to do inside memory");
        assertUntouched(BASE_PFN, NR_PAGES);
    }

    @Test
    void donateHypIsAllOrNothing() {
        assertEquals(0, mp.hostShareHyp(BASE_PFN + 33));
        assertEquals(EPERM, mp.hostDonateHyp(BASE_PFN + 30, 8), "one page is shared");
        assertUntouched(BASE_PFN + 30, 3);
        assertPage(BASE_PFN + 33, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 0);
        assertUntouched(BASE_PFN + 34, 4);
        assertEquals(0, mp.hostDonateHyp(BASE_PFN, NR_PAGES - 40));
        assertEquals(EPERM, mp.hostDonateHyp(BASE_PFN, 1), "already hyp's");
        assertPage(BASE_PFN, PageState.NOPAGE, PageState.OWNED, 0);
    }

    @Test
    void donateHostRefusesPagesEl2DoesNotOwn() {
        assertEquals(EPERM, mp.hypDonateHost(BASE_PFN, 1), "host owned");
        assertEquals(0, mp.hostShareHyp(BASE_PFN + 1));
        assertEquals(EPERM, mp.hypDonateHost(BASE_PFN + 1, 1), "only shared");
        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 2, 2));
        assertEquals(EPERM, mp.hypDonateHost(BASE_PFN + 2, 3), "the third is host owned");
        assertPage(BASE_PFN + 2, PageState.NOPAGE, PageState.OWNED, 0);
        assertPage(BASE_PFN + 3, PageState.NOPAGE, PageState.OWNED, 0);
        assertEquals(EPERM, mp.hypDonateHost(END_PFN - 1, 2), "hyp state is checked first: past DRAM is NOPAGE");
        assertEquals(EPERM, mp.hypDonateHost(MMIO_PFN, 1));
        assertEquals(EINVAL, mp.hypDonateHost(PFN_LIMIT - 1, 2));
        assertEquals(EINVAL, mp.hypDonateHost(BASE_PFN + 2, -2L));
        assertPage(BASE_PFN + 1, PageState.SHARED_OWNED, PageState.SHARED_BORROWED, 0);
        assertUntouched(BASE_PFN, 1);
    }

    @Test
    void theMemoryAbortHandlerFixesHostPagesAndRefusesOthers() {
        assertEquals(OwnerId.HOST, mp.handleHostMemAbort(Dram.BASE, false));
        assertEquals(OwnerId.HOST, mp.handleHostMemAbort(Machine.UART_PA, true));
        assertEquals(0, mp.hostDonateHyp(BASE_PFN, 1));
        assertEquals(OwnerId.HYP, mp.handleHostMemAbort(Dram.BASE + 8, true));
        assertEquals(0, mp.hostShareHyp(BASE_PFN + 1));
        assertEquals(OwnerId.HOST, mp.handleHostMemAbort(Dram.BASE + PAGE, true));
    }

    // ---- through the trap path

    @Test
    void hostStage2FaultsReachMemProtectThroughTheVector() {
        machine.installEl2Vector(new HypMain(platform, new DynamicHcalls(platform),
                HostHcallTable.of(MemProtectTest.withNoOpGuestCalls(HostHcall.PKVM_ALLOC_MODULE_VA, (c, r) -> { },
                        HostHcall.PKVM_UNMAP_MODULE_PAGE, (c, r) -> { },
                        HostHcall.PKVM_INIT_MODULE, (c, r) -> { },
                        HostHcall.PKVM_REGISTER_HCALL, (c, r) -> { },
                        HostHcall.PKVM_PROT_FINALIZE, (c, r) -> { },
                        HostHcall.PKVM_HOST_SHARE_HYP, (c, r) -> r.set(1, mp.hostShareHyp(r.get(1))),
                        HostHcall.PKVM_HOST_UNSHARE_HYP, (c, r) -> r.set(1, mp.hostUnshareHyp(r.get(1))))),
                new Deprivilege(2), mp, new HostPermFaultHandlers()));
        HostMemory host = machine.hostMemory();
        long pa = (BASE_PFN + 7) * PAGE;
        host.store64(pa, 42);
        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 7, 1));
        Stage2Fault f = assertThrows(Stage2Fault.class, () -> host.store64(pa, 43));
        assertTrue(f.write());
        assertEquals(OwnerId.HYP, f.owner());
        assertEquals(0, mp.hypDonateHost(BASE_PFN + 7, 1));
        assertEquals(42, host.load64(pa));
        assertNull(machine.panic());
    }

    @Test
    void shareAndUnshareHypStayCallableAfterDeprivilege() {
        Machine m = new Machine(new MachineConfig(2, NR_PAGES * PAGE));
        m.installEl2Vector(new PkvmImage().pkvmInit(m.takeHypPlatform(), new HypOptions(true)));
        assertEquals(0, hvc(m, 0, HostHcall.PKVM_PROT_FINALIZE, 0)[1]);
        assertEquals(0, hvc(m, 1, HostHcall.PKVM_PROT_FINALIZE, 0)[1]);
        long[] share = hvc(m, 0, HostHcall.PKVM_HOST_SHARE_HYP, BASE_PFN);
        assertEquals(Smccc.RET_SUCCESS, share[0]);
        assertEquals(0, share[1]);
        assertEquals(EPERM, hvc(m, 1, HostHcall.PKVM_HOST_SHARE_HYP, BASE_PFN)[1]);
        assertEquals(EPERM, hvc(m, 1, HostHcall.PKVM_HOST_SHARE_HYP, MMIO_PFN)[1]);
        assertTrue(m.hostMemory().isAccessible(Dram.BASE));
        assertEquals(0, hvc(m, 1, HostHcall.PKVM_HOST_UNSHARE_HYP, BASE_PFN)[1]);
        assertEquals(EPERM, hvc(m, 0, HostHcall.PKVM_HOST_UNSHARE_HYP, BASE_PFN)[1]);
        assertNull(m.panic());
    }

    private static long[] hvc(Machine m, int cpuId, HostHcall call, long a1) {
        Cpu cpu = m.getCpu(cpuId);
        try {
            cpu.regs().set(0, Smccc.kvmHostSmcccId(call.id()));
            cpu.regs().set(1, a1);
            cpu.hvc();
            return new long[] {cpu.regs().get(0), cpu.regs().get(1)};
        } finally {
            m.putCpu(cpu);
        }
    }

    /** The given seven bindings plus a no-op for every guest call: a table the tests can build. */
    static java.util.Map<HostHcall, org.pkvm4j.hypervisor.HostHcallHandler> withNoOpGuestCalls(HostHcall k1,
            org.pkvm4j.hypervisor.HostHcallHandler v1, HostHcall k2, org.pkvm4j.hypervisor.HostHcallHandler v2,
            HostHcall k3, org.pkvm4j.hypervisor.HostHcallHandler v3, HostHcall k4, org.pkvm4j.hypervisor.HostHcallHandler v4,
            HostHcall k5, org.pkvm4j.hypervisor.HostHcallHandler v5, HostHcall k6, org.pkvm4j.hypervisor.HostHcallHandler v6,
            HostHcall k7, org.pkvm4j.hypervisor.HostHcallHandler v7) {
        java.util.Map<HostHcall, org.pkvm4j.hypervisor.HostHcallHandler> m = new java.util.EnumMap<>(HostHcall.class);
        for (HostHcall h : HostHcall.values()) {
            m.put(h, (c, r) -> { });
        }
        m.putAll(Map.of(k1, v1, k2, v2, k3, v3, k4, v4, k5, v5, k6, v6, k7, v7));
        return m;
    }
}
