package org.pkvm4j.host.kvm;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.machine.CpuPin;
import org.pkvm4j.machine.HostHcall;

/**
 * A vCPU and {@code KVM_RUN}.
 *
 * <p>Kernel counterpart: {@code kvm_arch_vcpu_ioctl_run} with pKVM's {@code __pkvm_vcpu_load} /
 * {@code put} and the exit handling of {@code handle_exit}. The guest program runs on the calling
 * thread; each of its memory accesses and HVCs is one trip to EL2 (see the hypervisor's {@code
 * GuestVcpus}): a stage-2 fault comes back as an exit, the host maps the page ({@link
 * KvmVm#handleGuestAbort}) and the access runs again; an HVC the hypervisor does not handle is
 * answered here with {@code SMCCC_RET_NOT_SUPPORTED}.
 */
public final class KvmVcpu {
    private static final long EXIT_DONE = 0;
    private static final long EXIT_MEM_ABORT = 1;

    private final KvmVm vm;
    private final HvcGateway gateway;
    private final int id;
    private final int index;

    KvmVcpu(KvmVm vm, HvcGateway gateway, int id, int index) {
        this.vm = vm;
        this.gateway = gateway;
        this.id = id;
        this.index = index;
    }

    /** The vCPU id given to {@link KvmVm#createVcpu}. */
    public int id() {
        return id;
    }

    /**
     * {@code KVM_RUN}: runs {@code program} until it returns.
     *
     * @throws PkvmException {@code EFAULT} if the guest touches a poisoned (force-reclaimed) page or
     *     memory outside its memslots; {@code EINVAL} for a destroyed or dying VM
     */
    public void run(GuestProgram program) {
        vm.ensureCreated();
        // The hypervisor's loaded vCPU is per physical CPU: the run stays on one from load to put
        // (the kernel's vcpu_load/vcpu_put run with preemption notifiers around it), so the
        // accesses, and the donations and shares its faults make, all reach the loaded vCPU.
        CpuPin pin = gateway.pinUnlessPinned();
        try {
            gateway.hostHcall(HostHcall.PKVM_VCPU_LOAD, vm.handle(), index, 0);
            try {
                program.run(new Cpu());
            } finally {
                gateway.hostHcall(HostHcall.PKVM_VCPU_PUT, 0, 0, 0);
            }
        } finally {
            if (pin != null) {
                pin.close();
            }
        }
    }

    private final class Cpu implements GuestCpu {
        @Override
        public int id() {
            return id;
        }

        @Override
        public long load64(long ipa) {
            return access(ipa, false, 0);
        }

        @Override
        public void store64(long ipa, long value) {
            access(ipa, true, value);
        }

        private long access(long ipa, boolean write, long value) {
            while (true) {
                SmcccRes r = gateway.hvc(Smccc.kvmHostSmcccId(HostHcall.PKVM_VCPU_GUEST_ACCESS.id()),
                        write ? 1 : 0, ipa, value);
                long code = exitCode(r, HostHcall.PKVM_VCPU_GUEST_ACCESS);
                if (code == EXIT_DONE) {
                    return r.a2();
                }
                vm.handleGuestAbort(r.a2(), index);
            }
        }

        @Override
        public SmcccRes hvc(long functionId, long a1, long a2, long a3) {
            while (true) {
                SmcccRes r = gateway.hvc(Smccc.kvmHostSmcccId(HostHcall.PKVM_VCPU_GUEST_HVC.id()),
                        0, functionId, a1, a2, a3);
                long code = exitCode(r, HostHcall.PKVM_VCPU_GUEST_HVC);
                if (code == EXIT_DONE) {
                    return new SmcccRes(r.a2(), 0, 0, 0);
                }
                if (code == EXIT_MEM_ABORT) {
                    // The faked fault of MEM_SHARE: map the page, re-execute the HVC.
                    vm.handleGuestAbort(r.a2(), index);
                    continue;
                }
                // Left to the host: pkvm4j's host implements no other hypercall.
                return new SmcccRes(Smccc.RET_NOT_SUPPORTED, 0, 0, 0);
            }
        }

        @Override
        public SmcccRes smc(long functionId, long a1, long a2, long a3) {
            long[] r = gateway.hvcX0ToX5(Smccc.kvmHostSmcccId(HostHcall.PKVM_VCPU_GUEST_SMC.id()),
                    0, functionId, a1, a2, a3);
            long code = exitCode(new SmcccRes(r[0], r[1], r[2], 0), HostHcall.PKVM_VCPU_GUEST_SMC);
            if (code == EXIT_DONE) {
                return new SmcccRes(r[2], r[3], r[4], r[5]);
            }
            // Left to the host: pkvm4j's host KVM implements no SMC service for its guests.
            return new SmcccRes(Smccc.RET_NOT_SUPPORTED, 0, 0, 0);
        }

        private long exitCode(SmcccRes r, HostHcall call) {
            if (r.a0() != Smccc.RET_SUCCESS) {
                throw PkvmException.ofSmcccStatus(r.a0(), call.symbol() + " refused");
            }
            if (r.a1() < 0) {
                Errno errno = Errno.fromNegated(r.a1());
                throw new PkvmException(errno == null ? Errno.EFAULT : errno,
                        "KVM_RUN: guest access at IPA 0x%x failed".formatted(r.a2()));
            }
            return r.a1();
        }
    }
}
