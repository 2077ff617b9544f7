package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVcpu;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.machine.DmaAbortException;
import org.pkvm4j.machine.DmaEngine;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Smmu;
import org.pkvm4j.machine.Stage2Fault;

/**
 * The bundled dma_guard module from its own module file: an EL2 IOMMU driver. It takes the SMMU
 * from the host at init, guards one DMA device, maps for it only host pages the host hands it (never
 * the hypervisor's or a guest's), keeps those pages from changing owner while mapped, puts another
 * device on the host idmap domain, and resets the guarded device when it is assigned to a protected
 * VM and when it comes back. Reached as userspace does, through {@code /dev/dma_guard}; the host
 * refills the hypervisor's IOMMU pool with {@code kvm_iommu_refill} when EL2 asks.
 */
class DmaGuardIT {
    private static final String NAME = "dma_guard";
    private static final int ATTACH = 1;
    private static final int MAP = 2;
    private static final int MAP_RO = 3;
    private static final int UNMAP = 4;
    private static final int IDMAP = 5;
    private static final int RESETS = 6;
    private static final int MAPPED = 7;
    private static final long PAGE = 1L << Dram.PAGE_SHIFT;
    private static final long BASE_PFN = Dram.BASE >>> Dram.PAGE_SHIFT;
    /** Host pages the host gives to the IOMMU pools: 8 MiB into DRAM (64 and 48 pages). */
    private static final long POOL_PFN = BASE_PFN + 0x800;
    private static final long ATOMIC_PFN = BASE_PFN + 0x840;
    /** Host buffers handed to the guarded device. */
    private static final long BUF_PFN = BASE_PFN + 0x900;
    private static final int GUARDED = 3;
    private static final int IDMAPPED = 9;

    private static HostKernel boot() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, NAME);
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + NAME + " mem=64M", initramfs);
        assertTrue(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().toString());
        return kernel;
    }

    private static long ioctl(HostKernel kernel, int cmd, long arg) {
        return kernel.ioctl(NAME, cmd, arg);
    }

    private static long mapArg(long iovaPfn, long pfn) {
        return iovaPfn << 32 | pfn;
    }

    private static void assertErrno(Errno expected, Executable call) {
        assertEquals(expected, assertThrows(PkvmException.class, call).errno());
    }

    private static void assertErrno(Errno expected, Executable call, String why) {
        assertEquals(expected, assertThrows(PkvmException.class, call, why).errno(), why);
    }

    private static Smmu.FaultReason abort(Supplier<Object> dma) {
        return assertThrows(DmaAbortException.class, dma::get).fault().reason();
    }

    /** Refills the IOMMU pools as the host does when EL2 asks. */
    private static void refill(HostKernel kernel) {
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_IOMMU_REFILL, POOL_PFN, 64, 0));
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_IOMMU_REFILL, ATOMIC_PFN, 48, 1));
    }

    /**
     * Scenario: the EL2 init took the SMMU's registers, so the host can no longer reprogram it, and no
     * device does DMA before EL2 sets it up (the SMMU aborts everything).
     */
    @Test
    void theSmmuBelongsToEl2FromInit() {
        HostKernel kernel = boot();
        HostMemory host = kernel.machine().hostMemory();
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("dma_guard: EL2 owns the SMMU at 0x9050000")));
        Stage2Fault f = assertThrows(Stage2Fault.class, () -> host.store64(Smmu.PA + Smmu.CR0, 0));
        assertEquals(OwnerId.HYP, f.owner());
        assertThrows(Stage2Fault.class, () -> host.load64(Smmu.PA + Smmu.STRTAB_BASE));
        assertEquals(Smmu.FaultReason.DISABLED, abort(() -> kernel.machine().dmaEngine(GUARDED).read64(0)));
    }

    /**
     * Scenario: attaching finds the pool empty (ENOMEM); after a refill the device reaches exactly
     * what was mapped for it: a host buffer at its IOVA (read-write or read-only), nothing else.
     * The hypervisor's pages and a protected guest's page are refused. A mapped page cannot be shared
     * (its DMA reference blocks it) until it is unmapped, and after the unmap the device no longer
     * reaches it.
     */
    @Test
    void theGuardedDeviceReachesOnlyHostPagesMappedForIt() {
        HostKernel kernel = boot();
        HostMemory host = kernel.machine().hostMemory();
        DmaEngine dev = kernel.machine().dmaEngine(GUARDED);
        assertErrno(Errno.ENODEV, () -> ioctl(kernel, MAP, mapArg(0x10, BUF_PFN)));
        assertErrno(Errno.ENOMEM, () -> ioctl(kernel, ATTACH, GUARDED));
        refill(kernel);
        ioctl(kernel, ATTACH, GUARDED);

        ioctl(kernel, MAP, mapArg(0x10, BUF_PFN));
        ioctl(kernel, MAP_RO, mapArg(0x11, BUF_PFN + 1));
        host.store64((BUF_PFN + 1) * PAGE, 0xC0FFEE);
        dev.copy(0x11 * PAGE, 0x10 * PAGE + 64, 8);
        assertEquals(0xC0FFEE, host.load64(BUF_PFN * PAGE + 64), "the device copied between its two buffers");
        assertEquals(Smmu.FaultReason.PERMISSION, abort(() -> {
            dev.write64(0x11 * PAGE, 1);
            return null;
        }));
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dev.read64(0x12 * PAGE)), "nothing else is mapped");
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dev.read64(BUF_PFN * PAGE)), "no identity map for this device");
        assertEquals(2, ioctl(kernel, MAPPED, 0));

        assertErrno(Errno.EPERM, () -> ioctl(kernel, MAP, mapArg(0x20, POOL_PFN)), "a hypervisor page");
        Kvm kvm = kernel.kvm();
        KvmVm vm = kvm.createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        vm.setUserMemoryRegion(0, 0, 0x4000_0000L, 4 * PAGE);
        KvmVcpu vcpu = vm.createVcpu(0);
        vcpu.run(cpu -> cpu.store64(0x4000_0000L, 0x5EC2E7));
        long guestPfn = vm.hostPhys(0x4000_0000L) >>> Dram.PAGE_SHIFT;
        assertErrno(Errno.EPERM, () -> ioctl(kernel, MAP, mapArg(0x21, guestPfn)), "a protected guest's page");

        assertErrno(Errno.EINVAL, () -> kernel.gateway().hostHcall(HostHcall.PKVM_HOST_SHARE_HYP, BUF_PFN, 0, 0),
                "mapped for DMA: it cannot be shared");
        ioctl(kernel, UNMAP, 0x10);
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dev.read64(0x10 * PAGE)), "unmapped and invalidated");
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_HOST_SHARE_HYP, BUF_PFN, 0, 0), "unmapped: free to share");
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_HOST_UNSHARE_HYP, BUF_PFN, 0, 0));
        assertErrno(Errno.ENOENT, () -> ioctl(kernel, UNMAP, 0x10));
        assertEquals(4, kernel.machine().smmu().faultCount(), "each refused access is in the SMMU's event queue");
    }

    /**
     * Scenario: a device on the host idmap domain sees host memory at IOVA = PA and loses each page
     * the host gives away: the IOMMU pool's pages (EL2's) and a protected guest's page are out of
     * its reach, and the guest's page is back in it once the VM is gone.
     */
    @Test
    void anIdmappedDeviceSeesMemoryAsTheHostDoes() {
        HostKernel kernel = boot();
        HostMemory host = kernel.machine().hostMemory();
        DmaEngine dev = kernel.machine().dmaEngine(IDMAPPED);
        refill(kernel);
        ioctl(kernel, IDMAP, IDMAPPED);
        host.store64(BUF_PFN * PAGE, 41);
        assertEquals(41, dev.read64(BUF_PFN * PAGE));
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dev.read64(POOL_PFN * PAGE)), "EL2's page");

        Kvm kvm = kernel.kvm();
        KvmVm vm = kvm.createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        vm.setUserMemoryRegion(0, 0, 0x4000_0000L, 4 * PAGE);
        KvmVcpu vcpu = vm.createVcpu(0);
        vcpu.run(cpu -> cpu.store64(0x4000_0000L, 0x5EC2E7));
        long guestPa = vm.hostPhys(0x4000_0000L);
        assertEquals(Smmu.FaultReason.TRANSLATION, abort(() -> dev.read64(guestPa)), "the guest's private page");
        vm.destroy();
        assertEquals(0, dev.read64(guestPa), "given back (zeroed) at teardown: in reach again");
    }

    /**
     * Scenario: the guarded device is reset when it is assigned to a protected VM (its DMA is cut
     * off until the host attaches it again) and when it comes back at the VM's teardown.
     */
    @Test
    void assigningTheDeviceToAGuestResetsItBothWays() {
        HostKernel kernel = boot();
        DmaEngine dev = kernel.machine().dmaEngine(GUARDED);
        KvmVm vm = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        vm.setUserMemoryRegion(0, 0, 0x4000_0000L, 4 * PAGE);
        vm.createVcpu(0).run(cpu -> cpu.store64(0x4000_0000L, 1)); // the first run creates the hyp VM
        assertErrno(Errno.ENODEV, () -> kernel.gateway().hostHcall(HostHcall.PKVM_DEVICE_ASSIGN, vm.handle(), dev.regsPhys(), 0),
                "before dma_guard attached it, the device has no reset callback");
        assertErrno(Errno.EINVAL, () -> kernel.gateway().hostHcall(HostHcall.PKVM_DEVICE_ASSIGN, 0, dev.regsPhys(), 0), "no such VM");
        refill(kernel);
        ioctl(kernel, ATTACH, GUARDED);
        ioctl(kernel, MAP, mapArg(0x10, BUF_PFN));
        dev.write64(0x10 * PAGE, 1);
        assertErrno(Errno.ENODEV, () -> kernel.gateway().hostHcall(HostHcall.PKVM_DEVICE_ASSIGN, vm.handle(),
                kernel.machine().dmaEngine(GUARDED + 1).regsPhys(), 0), "no reset callback: not assignable");
        assertEquals(0, kernel.gateway().hostHcall(HostHcall.PKVM_DEVICE_ASSIGN, vm.handle(), dev.regsPhys(), 0));
        assertEquals(1, ioctl(kernel, RESETS, 0));
        assertEquals(Smmu.FaultReason.BAD_STE, abort(() -> dev.read64(0x10 * PAGE)), "reset: the host's mappings are gone");
        assertErrno(Errno.EBUSY, () -> kernel.gateway().hostHcall(HostHcall.PKVM_DEVICE_ASSIGN, vm.handle(), dev.regsPhys(), 0));
        vm.destroy();
        assertEquals(2, ioctl(kernel, RESETS, 0), "reset again on its way back");
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("dma_guard: stream 3 reset, guest to host")));
        ioctl(kernel, ATTACH, GUARDED);
        assertEquals(1, dev.read64(0x10 * PAGE), "re-attached: the host's mapping is back");
    }
}
