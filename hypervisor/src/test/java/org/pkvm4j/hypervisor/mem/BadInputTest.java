package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * Bad input to every transition: a pfn past the PA range, a range that overflows or straddles
 * memory and MMIO, MMIO, an unaligned block, a wrong VM handle and a call in the wrong phase each
 * return the kernel's errno, and every page's metadata word and every guest's stage-2 are unchanged.
 */
class BadInputTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final int NR_PAGES = 1024;
    static final long BASE_PFN = Dram.BASE / PAGE;
    static final long END_PFN = BASE_PFN + NR_PAGES;
    static final long MMIO_PFN = Machine.UART_PA / PAGE;
    static final long PFN_LIMIT = 1L << (Dram.PA_BITS - Dram.PAGE_SHIFT);
    static final int EINVAL = -Errno.EINVAL.code();
    static final int EPERM = -Errno.EPERM.code();
    static final int ENOENT = -Errno.ENOENT.code();
    static final int EFAULT = -Errno.EFAULT.code();
    static final int EAGAIN = -Errno.EAGAIN.code();

    private final Machine machine = new Machine(new MachineConfig(1, NR_PAGES * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final VmTable vms = new VmTable();
    private final GuestMemProtect gm = new GuestMemProtect(mp, vms);
    private final GuestVcpus vcpus = new GuestVcpus(gm, 1);
    private int pvm;
    private int npvm;
    private long[] before;

    /** A protected VM with one private page, a non-protected one with one shared page, a pinned page, a donated one. */
    @BeforeEach
    void populate() {
        pvm = vms.reserveVm();
        assertEquals(0, vms.initVm(pvm, 1, true));
        npvm = vms.reserveVm();
        assertEquals(0, vms.initVm(npvm, 1, false));
        Memcaches.seed(gm, pvm, 0, BASE_PFN + 100, 2 * HypVm.STAGE2_MIN_PAGES);
        assertEquals(0, gm.hostDonateGuest(BASE_PFN + 1, 1, pvm));
        assertEquals(0, gm.hostShareGuest(BASE_PFN + 2, 2, 1, npvm, Prot.RW));
        assertEquals(0, mp.hostShareHyp(BASE_PFN + 3));
        assertEquals(0, mp.hypPinSharedMem((BASE_PFN + 3) * PAGE, (BASE_PFN + 4) * PAGE));
        assertEquals(0, mp.hostDonateHyp(BASE_PFN + 4, 1));
        before = mp.snapshot(BASE_PFN, NR_PAGES);
    }

    private void assertNothingChanged() {
        assertArrayEquals(before, mp.snapshot(BASE_PFN, NR_PAGES), "page metadata changed");
        assertEquals(GuestState.OWNED, gm.guestState(pvm, 1));
        assertEquals(GuestState.NOPAGE, gm.guestState(pvm, 2));
        assertEquals(GuestState.SHARED_BORROWED, gm.guestState(npvm, 2));
        assertEquals(GuestState.NOPAGE, gm.guestState(npvm, 3));
    }

    /** Scenario: hyp_donate_host, host_stage2_mod_prot and pins outside memory or past the PA range. */
    @Test
    void hostHypRanges() {
        assertEquals(EINVAL, mp.hypDonateHost(PFN_LIMIT, 1), "pfn past the PA range");
        assertEquals(EINVAL, mp.hypDonateHost(BASE_PFN + 4, -1L), "nr_pages overflows");
        assertEquals(EINVAL, mp.hypDonateHost(-1L, 2), "pfn as u64");
        assertEquals(EPERM, mp.hypDonateHost(MMIO_PFN, 1), "MMIO: no hyp_page, reads hyp NOPAGE");
        assertEquals(EPERM, mp.hypDonateHost(BASE_PFN + 4, 2), "one page of two is EL2's");
        assertEquals(EPERM, mp.hostShareHyp(PFN_LIMIT + 5), "share past the PA range lands outside DRAM");
        assertEquals(EPERM, mp.hostShareHyp(MMIO_PFN), "share of MMIO");
        assertEquals(EPERM, mp.hostUnshareHyp(END_PFN), "unshare above DRAM");
        assertEquals(EINVAL, mp.hostStage2ModProt(BASE_PFN, Prot.RWX + 1, 1), "prot beyond RWX");
        assertEquals(EINVAL, mp.hostStage2ModProt(BASE_PFN, Prot.R, -1L), "overflow");
        assertEquals(EINVAL, mp.hostStage2ModProt(END_PFN - 1, Prot.R, 2), "straddles DRAM's end");
        assertEquals(EPERM, mp.hostStage2ModProt(MMIO_PFN, Prot.R, 1), "MMIO");
        assertEquals(EPERM, mp.hostStage2ModProt(BASE_PFN + 1, Prot.R, 1), "a guest's page");
        assertEquals(EINVAL, mp.hypPinSharedMem(Dram.BASE + 2 * PAGE, Dram.BASE + PAGE), "to < from");
        assertEquals(EINVAL, mp.hypPinSharedMem(Dram.BASE - PAGE, Dram.BASE + PAGE), "straddles DRAM's start");
        assertEquals(EPERM, mp.hypPinSharedMem(Machine.UART_PA, Machine.UART_PA + 8), "MMIO");
        assertEquals(EPERM, mp.hypPinSharedMem((BASE_PFN + 3) * PAGE, (BASE_PFN + 5) * PAGE), "the second page is not shared");
        assertNothingChanged();
    }

    /** Scenario: guest transitions with a wrong VM handle, of the wrong kind, with a bad pfn or gfn. */
    @Test
    void guestTransitionsWithBadArguments() {
        int none = pvm + 100;
        assertEquals(EINVAL, gm.hostDonateGuest(BASE_PFN + 10, 5, none), "no such VM");
        assertEquals(-Errno.ERANGE.code(), gm.hostDonateGuest(BASE_PFN + 10, 1L << 40, pvm), "gfn past the 52-bit IPA range: the walk's -ERANGE");
        assertEquals(-Errno.ERANGE.code(), gm.hostDonateGuest(BASE_PFN + 10, -1, pvm), "negative gfn");
        assertEquals(EPERM, gm.hostDonateGuest(MMIO_PFN, 5, pvm), "MMIO");
        assertEquals(EPERM, gm.hostDonateGuest(PFN_LIMIT + 1, 5, pvm), "past the PA range: not memory");
        assertEquals(EPERM, gm.hostDonateGuest(BASE_PFN + 10, 1, pvm), "the gfn is mapped");
        assertEquals(EPERM, gm.hostDonateGuest(BASE_PFN + 4, 5, pvm), "EL2's page");
        assertEquals(EINVAL, gm.hostShareGuest(BASE_PFN + 10, 3, 1, none, Prot.RW), "no such VM");
        assertEquals(EINVAL, gm.hostShareGuest(PFN_LIMIT, 3, 1, npvm, Prot.RW), "pfn past the PA range");
        assertEquals(EINVAL, gm.hostShareGuest(BASE_PFN + 1, 512, GuestMemProtect.BLOCK_PAGES, npvm, Prot.RW),
                "a block at an unaligned pfn");
        assertEquals(EINVAL, gm.hostShareGuest(BASE_PFN + 512, 3, GuestMemProtect.BLOCK_PAGES, npvm, Prot.RW),
                "a block at an unaligned gfn");
        assertEquals(EPERM, gm.hostShareGuest(MMIO_PFN, 3, 1, npvm, Prot.RW), "MMIO");
        assertEquals(EINVAL, gm.hostUnshareGuest(2, 1, none), "no such VM");
        assertEquals(ENOENT, gm.hostUnshareGuest(3, 1, npvm), "nothing mapped");
        assertEquals(EINVAL, gm.guestShareHost(none, 1), "no such VM");
        assertEquals(ENOENT, gm.guestShareHost(pvm, 2), "nothing mapped");
        assertEquals(EINVAL, gm.guestUnshareHost(none, 1), "no such VM");
        assertEquals(EPERM, gm.guestUnshareHost(pvm, 1), "not shared");
        assertEquals(EFAULT, gm.hostForceReclaimPageGuest(Machine.UART_PA), "not memory");
        assertEquals(EAGAIN, gm.hostForceReclaimPageGuest((BASE_PFN + 10) * PAGE), "the host's own page");
        assertEquals(EPERM, gm.hostForceReclaimPageGuest((BASE_PFN + 4) * PAGE), "EL2's page: the owner is not a guest");
        assertNothingChanged();
    }

    /** Scenario: calls in the wrong phase: teardown steps of a live VM, donation to a dying one, vCPUs not loaded. */
    @Test
    void wrongPhase() {
        assertEquals(EINVAL, gm.reclaimDyingGuestPage(pvm, 1), "the VM is not dying");
        assertEquals(EINVAL, gm.finalizeTeardownVm(pvm), "the VM is not dying");
        assertEquals(EINVAL, vcpus.vcpuLoad(0, pvm, 1), "no vCPU 1");
        GuestExit exit = new GuestExit();
        assertEquals(EINVAL, vcpus.guestAccess(0, PAGE, false, 0, exit), "no vCPU loaded");
        assertEquals(0, exit.x2());
        assertEquals(EINVAL, vcpus.guestHvc(0, GuestVcpus.HYP_MEMINFO, 0, 0, 0, exit), "no vCPU loaded");
        assertEquals(0, exit.x2());
        assertEquals(-Errno.EEXIST.code(), vms.initVm(pvm, 1, true), "initialised twice");
        assertNothingChanged();
        assertEquals(0, vms.startTeardownVm(pvm));
        before = mp.snapshot(BASE_PFN, NR_PAGES);
        assertEquals(EINVAL, gm.hostDonateGuest(BASE_PFN + 10, 5, pvm), "no donation to a dying VM");
        assertEquals(EINVAL, vcpus.vcpuLoad(0, pvm, 0), "a dying VM does not run");
        assertEquals(ENOENT, gm.reclaimDyingGuestPage(pvm, 7), "nothing at that gfn");
        assertNothingChanged();
    }
}
