package org.pkvm4j.host.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * The KVM API's argument limits, with the kernel's errnos. Kernel counterparts: {@code
 * kvm_set_memory_region} and {@code check_memory_region_flags} ({@code virt/kvm/kvm_main.c}), arm64's
 * {@code kvm_arch_prepare_memory_region} ({@code arch/arm64/kvm/mmu.c}), {@code
 * kvm_vm_ioctl_create_vcpu}, and {@code kvm_handle_guest_abort}'s IPA-size check. None of these
 * reaches the hypervisor: the VM here has a handle but no hypervisor behind it.
 */
class KvmVmLimitsTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;

    private final KvmVm vm = new KvmVm(null, new HvcGateway(new Machine(new MachineConfig(1, 16 * PAGE))), 0x1000, false);

    private static Errno errno(Executable call) {
        return assertThrows(PkvmException.class, call).errno();
    }

    /** {@code kvm_set_memory_region}: 2^62 bytes is more than {@code KVM_MEM_MAX_NR_PAGES}: {@code EINVAL}. */
    @Test
    void aMemslotOfTwoToTheSixtyTwoBytesIsEinval() {
        assertEquals(Errno.EINVAL, errno(() -> vm.setUserMemoryRegion(0, 0, 0, 1L << 62)));
        assertEquals(Errno.EINVAL, errno(() -> vm.setUserMemoryRegion(0, 0, 0, (KvmVm.MEM_MAX_NR_PAGES + 1) * PAGE)));
    }

    /** {@code kvm_set_memory_region}: {@code guest_phys_addr + memory_size} wrapping is {@code EINVAL}. */
    @Test
    void aMemslotWhoseEndWrapsIsEinval() {
        assertEquals(Errno.EINVAL, errno(() -> vm.setUserMemoryRegion(0, 0, -PAGE, 2 * PAGE)));
        assertEquals(Errno.EINVAL, errno(() -> vm.setUserMemoryRegion(0, 0, Long.MIN_VALUE, Long.MIN_VALUE)));
    }

    /** {@code kvm_set_memory_region}: a slot id outside {@code [0, KVM_MEM_SLOTS_NUM)} is {@code EINVAL}. */
    @Test
    void aSlotIdOutOfRangeIsEinval() {
        assertEquals(Errno.EINVAL, errno(() -> vm.setUserMemoryRegion(-1, 0, 0, PAGE)));
        assertEquals(Errno.EINVAL, errno(() -> vm.setUserMemoryRegion(KvmVm.MEM_SLOTS_NUM, 0, 0, PAGE)));
        vm.setUserMemoryRegion(KvmVm.MEM_SLOTS_NUM - 1, 0, 0, PAGE);
    }

    /** arm64 {@code kvm_arch_prepare_memory_region}: a slot ending beyond the VM's IPA space is {@code EFAULT}. */
    @Test
    void aMemslotBeyondTheIpaSpaceIsEfault() {
        long top = 1L << KvmVm.IPA_BITS;
        assertEquals(Errno.EFAULT, errno(() -> vm.setUserMemoryRegion(0, 0, top, PAGE)));
        assertEquals(Errno.EFAULT, errno(() -> vm.setUserMemoryRegion(0, 0, top - PAGE, 2 * PAGE)));
        vm.setUserMemoryRegion(0, 0, top - PAGE, PAGE);
    }

    /** {@code kvm_vm_ioctl_create_vcpu}: id -1 (an {@code unsigned long}) is not below {@code KVM_MAX_VCPU_IDS}: {@code EINVAL}. */
    @Test
    void vcpuIdMinusOneIsEinval() {
        assertEquals(Errno.EINVAL, errno(() -> vm.createVcpu(-1)));
        assertEquals(Errno.EINVAL, errno(() -> vm.createVcpu(KvmVm.MAX_VCPU_IDS)));
        vm.createVcpu(KvmVm.MAX_VCPU_IDS - 1);
        assertEquals(Errno.EEXIST, errno(() -> vm.createVcpu(KvmVm.MAX_VCPU_IDS - 1)));
    }

    /** {@code kvm_vm_ioctl_create_vcpu}: {@code created_vcpus >= max_vcpus} is {@code EINVAL}. */
    @Test
    void moreVcpusThanTheVmMayHaveIsEinval() {
        for (int id = 0; id < KvmVm.MAX_VCPUS; id++) {
            vm.createVcpu(id);
        }
        assertEquals(Errno.EINVAL, errno(() -> vm.createVcpu(KvmVm.MAX_VCPUS)));
    }

    /**
     * {@code kvm_handle_guest_abort}: a fault at an IPA beyond the VM's IPA space is an address size
     * fault for the guest, never a memslot lookup; pkvm4j's run ends with {@code EFAULT}.
     */
    @Test
    void aGuestFaultBeyondTheIpaSpaceEndsTheRun() {
        assertEquals(Errno.EFAULT, errno(() -> vm.handleGuestAbort(1L << KvmVm.IPA_BITS, 0)));
        assertEquals(Errno.EFAULT, errno(() -> vm.handleGuestAbort(-8, 0)));
    }
}
