package org.pkvm4j.host.kvm;

import java.util.ArrayDeque;
import java.util.function.Supplier;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.host.log.HostLogger;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;

/**
 * {@code /dev/kvm}: creates VMs.
 *
 * <p>Kernel counterpart: {@code kvm_dev_ioctl_create_vm} with arm64's {@code kvm_arch_init_vm} and
 * pKVM's {@code pkvm_init_host_vm} (PKVM.md §4.8, §4.10). Every VM gets a hypervisor handle at
 * creation ({@code __pkvm_reserve_vm}); the hypervisor's VM is created on the first run.
 *
 * <p>Refusals: a type with bits other than {@link #KVM_VM_TYPE_ARM_PROTECTED} and the IPA size
 * ({@code KVM_VM_TYPE_ARM_IPA_SIZE_MASK}) is {@code EINVAL}; a protected VM without pKVM is {@code
 * EINVAL}, as ACK's {@code pkvm_init_host_vm}; a protected VM on a device whose protected modules did
 * not all load ({@link SecurityState#allowsProtectedVms()} false) is {@code EPERM}: pkvm4j's choice,
 * the kernel wipes the pVM firmware instead, so such a VM could not boot. Without pKVM pkvm4j models
 * no KVM at all: a non-protected VM is then {@code EOPNOTSUPP}.
 *
 * <p>Guest memory comes from a pool of host DRAM pages, {@code [DRAM + size/4, DRAM + size/2)}, below
 * the module area and above the low memory tests and modules use; pages go back to it at teardown.
 */
public final class Kvm {
    /** {@code KVM_VM_TYPE_ARM_PROTECTED}: ACK's value, bit 31. */
    public static final long KVM_VM_TYPE_ARM_PROTECTED = 1L << 31;
    /** {@code KVM_VM_TYPE_ARM_IPA_SIZE_MASK}. */
    public static final long KVM_VM_TYPE_ARM_IPA_SIZE_MASK = 0xFF;

    private static final HostLogger LOG = HostLogger.of(Kvm.class);

    private final HvcGateway gateway;
    private final boolean pkvmEnabled;
    private final Supplier<SecurityState> security;
    private final KernelLog log;
    private final long poolStart;
    private final long poolEnd;
    private long poolNext;
    private final ArrayDeque<Long> freePages = new ArrayDeque<>();
    private boolean tainted;

    /** The KVM device of a host kernel; {@code pkvmEnabled} is {@code kvm-arm.mode=protected}. */
    public Kvm(HvcGateway gateway, Dram dram, boolean pkvmEnabled, Supplier<SecurityState> security, KernelLog log) {
        this.gateway = gateway;
        this.pkvmEnabled = pkvmEnabled;
        this.security = security;
        this.log = log;
        this.poolStart = dram.basePfn() + dram.nrPages() / 4;
        this.poolEnd = dram.basePfn() + dram.nrPages() / 2;
        this.poolNext = poolStart;
    }

    /**
     * {@code KVM_CREATE_VM}.
     *
     * @throws PkvmException {@code EINVAL} for unknown type bits or a protected VM without pKVM;
     *     {@code EPERM} for a protected VM on an insecure device; {@code EOPNOTSUPP} for any VM
     *     without pKVM; {@code ENOMEM} when the hypervisor's VM table is full
     */
    public KvmVm createVm(long type) {
        if ((type & ~(KVM_VM_TYPE_ARM_PROTECTED | KVM_VM_TYPE_ARM_IPA_SIZE_MASK)) != 0) {
            throw new PkvmException(Errno.EINVAL, "KVM_CREATE_VM: unknown type bits 0x" + Long.toHexString(type));
        }
        boolean isProtected = (type & KVM_VM_TYPE_ARM_PROTECTED) != 0;
        if (!pkvmEnabled) {
            throw isProtected
                    ? new PkvmException(Errno.EINVAL, "KVM_CREATE_VM: protected VMs need pKVM (kvm-arm.mode=protected)")
                    : new PkvmException(Errno.EOPNOTSUPP, "KVM_CREATE_VM: pkvm4j models KVM only under pKVM");
        }
        if (isProtected && !security.get().allowsProtectedVms()) {
            log.warn(LOG, "KVM: protected VM refused: {}", security.get().describe());
            throw new PkvmException(Errno.EPERM, "KVM_CREATE_VM: " + security.get().describe());
        }
        long handle = gateway.hostHcall(HostHcall.PKVM_RESERVE_VM, 0, 0, 0);
        if (isProtected) {
            synchronized (this) {
                if (!tainted) {
                    tainted = true;
                    log.warn(LOG, "KVM: creating protected VMs is experimental; tainting the kernel");
                }
            }
        }
        return new KvmVm(this, gateway, handle, isProtected);
    }

    /**
     * {@code pkvm_force_reclaim_guest_page(phys)}: what the host fault path does when EL1 touched a
     * page a protected guest owns: poisons the guest's page and takes it back, zeroed.
     *
     * @throws PkvmException the hypervisor's errno ({@code EAGAIN}: retry; {@code EPERM}: not a
     *     guest page; {@code EFAULT}: not memory)
     */
    public void forceReclaimGuestPage(long phys) {
        gateway.hostHcall(HostHcall.PKVM_HOST_FORCE_RECLAIM_PAGE_GUEST, phys, 0, 0);
    }

    /**
     * A page of the host pool for a donation to EL2 (the heap's refill): it leaves the pool for good.
     *
     * @throws PkvmException {@code ENOMEM} when the pool is exhausted
     */
    public long allocHostPage() {
        return allocPage();
    }

    /** Gives back a page {@link #allocHostPage} returned that was not donated. */
    public void freeHostPage(long pfn) {
        freePage(pfn);
    }

    synchronized long allocPage() {
        Long pfn = freePages.poll();
        if (pfn != null) {
            return pfn;
        }
        if (poolNext >= poolEnd) {
            throw new PkvmException(Errno.ENOMEM, "KVM: guest memory pool exhausted");
        }
        return poolNext++;
    }

    synchronized void freePage(long pfn) {
        freePages.push(pfn);
    }

    /** How many pool pages are handed out to guests now. */
    public synchronized long pagesInUse() {
        return (poolNext - poolStart) - freePages.size();
    }
}
