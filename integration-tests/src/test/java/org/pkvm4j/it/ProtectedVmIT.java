package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVcpu;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;

/**
 * Protected VMs end to end through real layers: the KVM-style host API, the hypervisor's guest
 * transitions and guest hypercalls, the host stage-2, and the two-phase teardown.
 */
class ProtectedVmIT {
    private static final long PAGE = 4096;
    private static final long GPA = 0x8000_0000L;
    private static final long FEATURES = 0x8600_0000L;
    private static final long HYP_MEMINFO = 0xC600_0002L;
    private static final long MEM_SHARE = 0xC600_0003L;
    private static final long MEM_UNSHARE = 0xC600_0004L;

    /**
     * Scenario: a protected guest touches three pages (each first touch donates one host page), uses
     * the guest hypercalls (MEM_SHARE of an unmapped page takes the fake-fault path), the host is
     * refused its private pages but reads the shared one, memslots freeze after the first run, force
     * reclaim poisons a page so the next run fails with EFAULT, and teardown gives every page back
     * to the host, the private ones zeroed.
     */
    @Test
    void protectedGuestLifecycle() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        Kvm kvm = kernel.kvm();
        HostMemory host = kernel.machine().hostMemory();
        KvmVm vm = kvm.createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        assertTrue(vm.isProtected());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> vm.setUserMemoryRegion(0, KvmVm.KVM_MEM_READONLY, GPA, 16 * PAGE)).errno(), "read-only memslot");
        vm.setUserMemoryRegion(0, 0, GPA, 16 * PAGE);
        KvmVcpu vcpu = vm.createVcpu(0);

        List<Long> answers = new ArrayList<>();
        vcpu.run(cpu -> {
            cpu.store64(GPA, 0xAAAA);
            cpu.store64(GPA + PAGE + 8, 0x5EC2E7);
            answers.add(cpu.hvc(FEATURES, 0, 0, 0).a0());
            answers.add(cpu.hvc(HYP_MEMINFO, 0, 0, 0).a0());
            answers.add(cpu.hvc(HYP_MEMINFO, 1, 0, 0).a0());
            answers.add(cpu.hvc(MEM_SHARE, GPA + 2 * PAGE, 0, 0).a0()); // not mapped yet: fake fault, retry
            cpu.store64(GPA + 2 * PAGE, 0x5A4ED);
            answers.add(cpu.hvc(0xC600_0001L, 0, 0, 0).a0()); // PTP: the host's, not modelled
            answers.add(cpu.load64(GPA));
        });
        assertEquals(List.of(0b11101L, PAGE, Smccc.RET_INVALID_PARAMETER, Smccc.RET_SUCCESS,
                Smccc.RET_NOT_SUPPORTED, 0xAAAAL), answers);
        assertEquals(3, vm.nrPages());
        // The vCPU memcache: the host topped it up to 3 pages before each donation that found it short;
        // the first donation took 3 for the stage-2 tables, the others needed none.
        assertEquals(3 + 2 * 3, kvm.pagesInUse(), "3 guest pages, 3 table pages, 3 in the memcache");

        // The VMM touching a private guest page: the stage-2 abort (SIGSEGV for EL0).
        Stage2Fault fault = assertThrows(Stage2Fault.class, () -> host.load64(vm.hostPhys(GPA)));
        assertEquals(OwnerId.GUEST, fault.owner());
        assertEquals(OwnerId.GUEST, assertThrows(Stage2Fault.class, () -> host.store64(vm.hostPhys(GPA + PAGE), 1)).owner());
        assertEquals(0x5A4ED, host.load64(vm.hostPhys(GPA + 2 * PAGE)), "the shared page is readable");

        // Memslots and vCPUs are fixed once the VM has run.
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class,
                () -> vm.setUserMemoryRegion(1, 0, GPA + 64 * PAGE, PAGE)).errno());
        assertEquals(Errno.EBUSY, assertThrows(PkvmException.class, () -> vm.createVcpu(1)).errno());

        // MEM_UNSHARE: private again.
        vcpu.run(cpu -> assertEquals(Smccc.RET_SUCCESS, cpu.hvc(MEM_UNSHARE, GPA + 2 * PAGE, 0, 0).a0()));
        assertThrows(Stage2Fault.class, () -> host.load64(vm.hostPhys(GPA + 2 * PAGE)));

        // No teardown while a vCPU runs.
        vcpu.run(cpu -> assertEquals(Errno.EINVAL, assertThrows(PkvmException.class, vm::destroy).errno()));

        // Force reclaim (the host's EL1 fault path): host-owned and zeroed; the guest's next access fails.
        long secretPa = vm.hostPhys(GPA + PAGE + 8);
        kvm.forceReclaimGuestPage(secretPa & -PAGE);
        assertEquals(0, host.load64(secretPa), "the poisoned page is zeroed");
        PkvmException efault = assertThrows(PkvmException.class, () -> vcpu.run(cpu -> cpu.load64(GPA + PAGE)));
        assertEquals(Errno.EFAULT, efault.errno());
        assertEquals(Errno.EAGAIN, assertThrows(PkvmException.class,
                () -> kvm.forceReclaimGuestPage(secretPa & -PAGE)).errno(), "already the host's");

        // Teardown: every page host-owned, the private ones zeroed.
        long[] pas = {vm.hostPhys(GPA), vm.hostPhys(GPA + PAGE), vm.hostPhys(GPA + 2 * PAGE)};
        vm.destroy();
        for (long pa : pas) {
            assertTrue(host.isAccessible(pa));
            for (long off = 0; off < PAGE; off += 8) {
                assertEquals(0, host.load64(pa + off));
            }
        }
        assertEquals(0, kvm.pagesInUse());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class, () -> vcpu.run(cpu -> { })).errno());
    }

    /** Scenario: the two-phase teardown's EINVAL rules, through raw hypercalls. */
    @Test
    void teardownPhasesAreOrdered() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        KvmVm vm = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        vm.setUserMemoryRegion(0, 0, 0, PAGE);
        vm.createVcpu(0).run(cpu -> cpu.store64(0, 1));
        long h = vm.handle();
        var gw = kernel.gateway();
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> gw.hostHcall(HostHcall.PKVM_RECLAIM_DYING_GUEST_PAGE, h, 0, 0)).errno(), "not dying");
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> gw.hostHcall(HostHcall.PKVM_FINALIZE_TEARDOWN_VM, h, 0, 0)).errno(), "not dying");
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> gw.hostHcall(HostHcall.PKVM_INIT_VM, 0x10, 1, 1)).errno(), "handle below HANDLE_OFFSET");
        vm.destroy();
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> gw.hostHcall(HostHcall.PKVM_START_TEARDOWN_VM, h, 0, 0)).errno(), "gone");
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> gw.hostHcall(HostHcall.PKVM_FINALIZE_TEARDOWN_VM, h, 0, 0)).errno(), "gone");
    }

    /** Scenario: a non-protected VM under pKVM: the host shares its pages and can read them. */
    @Test
    void nonProtectedGuestSharesHostPages() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        KvmVm vm = kernel.kvm().createVm(0);
        assertFalse(vm.isProtected());
        vm.setUserMemoryRegion(0, 0, 0, 4 * PAGE);
        vm.setUserMemoryRegion(1, KvmVm.KVM_MEM_READONLY, 4 * PAGE, PAGE);
        KvmVcpu vcpu = vm.createVcpu(0);
        vcpu.run(cpu -> cpu.store64(8, 77));
        assertEquals(77, kernel.machine().hostMemory().load64(vm.hostPhys(8)));
        vcpu.run(cpu -> assertEquals(0, cpu.load64(4 * PAGE)));
        vm.destroy();
        assertEquals(0, kernel.kvm().pagesInUse());
    }

    /** Scenario: a listed protected module is missing, so the device is insecure: no protected VM. */
    @Test
    void protectedVmRefusedOnAnInsecureDevice() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,ghost", initramfs);
        assertFalse(kernel.securityState().allowsProtectedVms());
        assertEquals(Errno.EPERM, assertThrows(PkvmException.class,
                () -> kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED)).errno());
        assertFalse(kernel.kvm().createVm(0).isProtected(), "non-protected VMs still work");
    }

    /** Scenario: without kvm-arm.mode=protected a protected VM is EINVAL. */
    @Test
    void protectedVmRefusedWithoutPkvm() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        HostKernel kernel = Devices.boot("kvm-arm.protected_modules=pkvm_driver", initramfs);
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED)).errno());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> kernel.kvm().createVm(1L << 40)).errno(), "unknown type bits");
    }
}
