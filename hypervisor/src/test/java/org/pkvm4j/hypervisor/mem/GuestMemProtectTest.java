package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EINVAL;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EPERM;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.PageState;

/** The VM table, the two-phase teardown's EINVAL rules, guest accesses and guest hypercalls. */
class GuestMemProtectTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final int ENOENT = -Errno.ENOENT.code();
    private static final int EEXIST = -Errno.EEXIST.code();
    private static final int EFAULT = -Errno.EFAULT.code();

    private final Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());
    private final VmTable vms = new VmTable();
    private final GuestMemProtect gm = new GuestMemProtect(mp, vms);
    private final GuestVcpus vcpus = new GuestVcpus(gm, 1);
    private final long pfn = Dram.BASE / PAGE + 3;

    @Test
    void handlesAndInit() {
        int h = vms.reserveVm();
        assertEquals(VmTable.HANDLE_OFFSET, h);
        assertEquals(EINVAL, vms.initVm(h - VmTable.HANDLE_OFFSET, 1, true), "below HANDLE_OFFSET");
        assertEquals(EINVAL, vms.initVm(h, 0, true), "no vCPU");
        assertEquals(ENOENT, vms.initVm(h + 1, 1, true), "not reserved");
        assertEquals(0, vms.initVm(h, 2, true));
        assertEquals(EEXIST, vms.initVm(h, 2, true));
        assertEquals(EINVAL, vms.unreserveVm(h), "initialised");
        int h2 = vms.reserveVm();
        assertEquals(0, vms.unreserveVm(h2));
        assertEquals(EINVAL, vms.unreserveVm(h2));
    }

    @Test
    void twoPhaseTeardownRules() {
        int h = vms.reserveVm();
        assertEquals(EINVAL, vms.startTeardownVm(h), "never initialised");
        assertEquals(0, vms.initVm(h, 1, true));
        Memcaches.seed(gm, h, 0, pfn + 7, 2 * HypVm.STAGE2_MIN_PAGES);
        assertEquals(0, gm.hostDonateGuest(pfn, 7, h));
        assertEquals(0, gm.hostDonateGuest(pfn + 1, 8, h));
        assertEquals(0, gm.guestShareHost(h, 8));
        mp.mem.store64((pfn << Dram.PAGE_SHIFT), 42);
        mp.mem.store64(((pfn + 1) << Dram.PAGE_SHIFT), 43);

        assertEquals(EINVAL, gm.reclaimDyingGuestPage(h, 7), "not dying");
        assertEquals(EINVAL, gm.finalizeTeardownVm(h), "not dying");
        assertEquals(0, vcpus.vcpuLoad(0, h, 0));
        assertEquals(EINVAL, vms.startTeardownVm(h), "a vCPU is loaded");
        assertEquals(0, vcpus.vcpuPut(0));
        assertEquals(0, vms.startTeardownVm(h));
        assertEquals(EINVAL, vms.startTeardownVm(h), "already dying");
        assertEquals(EINVAL, vcpus.vcpuLoad(0, h, 0), "dying VMs do not run");
        assertEquals(EINVAL, gm.hostDonateGuest(pfn + 2, 9, h), "no donation to a dying VM");
        assertEquals(PageState.OWNED, mp.hostState(pfn + 2), "the refused donation changed nothing");

        assertEquals(0, gm.reclaimDyingGuestPage(h, 7));
        assertEquals(PageState.OWNED, mp.hostState(pfn));
        assertEquals(0, machine.hostMemory().load64(pfn << Dram.PAGE_SHIFT), "private page zeroed");
        assertEquals(ENOENT, gm.reclaimDyingGuestPage(h, 7));
        assertEquals(0, gm.finalizeTeardownVm(h), "reclaims what is left");
        assertEquals(PageState.OWNED, mp.hostState(pfn + 1));
        assertEquals(43, machine.hostMemory().load64((pfn + 1) << Dram.PAGE_SHIFT), "shared page kept");
        assertEquals(EINVAL, gm.finalizeTeardownVm(h), "gone");
        assertEquals(EINVAL, gm.reclaimDyingGuestPage(h, 8), "gone");
    }

    @Test
    void guestAccessesAndHypercalls() {
        int h = vms.reserveVm();
        assertEquals(0, vms.initVm(h, 1, true));
        Memcaches.seed(gm, h, 0, pfn + 7, HypVm.STAGE2_MIN_PAGES);
        assertEquals(0, vcpus.vcpuLoad(0, h, 0));
        long ipa = 0x4000;
        assertArrayEquals(new long[] {GuestVcpus.EXIT_MEM_ABORT, ipa}, access(vcpus, h, ipa, true, 5));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_MEM_ABORT, ipa}, hvc(vcpus, h, GuestVcpus.MEM_SHARE, ipa, 0, 0),
                "MEM_SHARE of an unmapped page fakes a fault");
        assertEquals(0, gm.hostDonateGuest(pfn, ipa >>> Dram.PAGE_SHIFT, h));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, 0}, access(vcpus, h, ipa + 8, true, 5));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, 5}, access(vcpus, h, ipa + 8, false, 0));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, PAGE}, hvc(vcpus, h, GuestVcpus.HYP_MEMINFO, 0, 0, 0));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, Smccc.RET_INVALID_PARAMETER},
                hvc(vcpus, h, GuestVcpus.HYP_MEMINFO, 1, 0, 0));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, 0b11101}, hvc(vcpus, h, GuestVcpus.FEATURES, 0, 0, 0));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, 0}, hvc(vcpus, h, GuestVcpus.MEM_SHARE, ipa, 0, 0));
        assertEquals(PageState.SHARED_BORROWED, mp.hostState(pfn));
        assertEquals(5, machine.hostMemory().load64((pfn << Dram.PAGE_SHIFT) + 8));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, Smccc.RET_INVALID_PARAMETER},
                hvc(vcpus, h, GuestVcpus.MEM_SHARE, ipa, 0, 0), "already shared");
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, Smccc.RET_INVALID_PARAMETER},
                hvc(vcpus, h, GuestVcpus.MEM_SHARE, ipa + 1, 0, 0), "unaligned");
        assertArrayEquals(new long[] {GuestVcpus.EXIT_DONE, 0}, hvc(vcpus, h, GuestVcpus.MEM_UNSHARE, ipa, 0, 0));
        assertEquals(PageState.NOPAGE, mp.hostState(pfn));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_HVC, 0xC600_0001L}, hvc(vcpus, h, 0xC600_0001L, 0, 0, 0),
                "PTP is the host's");
        assertEquals(0, gm.hostForceReclaimPageGuest(pfn << Dram.PAGE_SHIFT));
        assertArrayEquals(new long[] {EFAULT, ipa + 8}, access(vcpus, h, ipa + 8, false, 0), "poisoned");
    }

    @Test
    void npGuestShareRules() {
        int h = vms.reserveVm();
        assertEquals(0, vms.initVm(h, 1, false));
        assertEquals(EINVAL, gm.hostShareGuest(pfn, 1, 1, h, 8), "prot beyond RWX");
        assertEquals(EINVAL, gm.hostShareGuest(pfn, 1, 2, h, Prot.RWX), "neither a page nor a block");
        assertEquals(EINVAL, gm.hostShareGuest(pfn, 1, 1, h + 1, Prot.RWX), "no such VM");
        assertEquals(0, mp.hostShareHyp(pfn));
        assertEquals(EPERM, gm.hostShareGuest(pfn, 1, 1, h, Prot.RWX), "shared with EL2, count 0");
        assertEquals(0, mp.hostUnshareHyp(pfn));
        assertEquals(0, gm.hostShareGuest(pfn, 1, 1, h, Prot.R));
        assertEquals(PageState.SHARED_OWNED, mp.hostState(pfn));
        assertEquals(0, vcpus.vcpuLoad(0, h, 0));
        assertArrayEquals(new long[] {GuestVcpus.EXIT_MEM_ABORT, PAGE}, access(vcpus, h, PAGE, true, 1), "read-only");
    }

    /** {x1, x2} of a guest access, as the wrapper writes them. */
    private static long[] access(GuestVcpus vcpus, long handle, long ipa, boolean write, long value) {
        GuestExit exit = new GuestExit();
        long x1 = vcpus.guestAccess(0, ipa, write, value, exit);
        return new long[] {x1, exit.x2()};
    }

    /** {x1, x2} of a guest HVC, as the wrapper writes them. */
    private static long[] hvc(GuestVcpus vcpus, long handle, long fn, long a1, long a2, long a3) {
        GuestExit exit = new GuestExit();
        long x1 = vcpus.guestHvc(0, fn, a1, a2, a3, exit);
        return new long[] {x1, exit.x2()};
    }
}
