package org.pkvm4j.hypervisor.smc;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.PsciEvent;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El3Return;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;

/**
 * The host's PSCI calls at EL2: forwarded to the firmware, with the CPU's EL2 entry point in place
 * of the host's for the calls after which a CPU enters anew.
 *
 * <p>Kernel counterpart: {@code kvm_host_psci_handler} and its workers in {@code
 * nvhe/psci-relay.c}. CPU_ON keeps the host's entry point and context id in the target's boot
 * arguments, guarded by a per-CPU lock (taken while the CPU_ON is pending: a second one answers
 * ALREADY_ON); CPU_SUSPEND and SYSTEM_SUSPEND keep them in the CPU's suspend arguments. On entry
 * ({@link #cpuEntry}) the CPU's saved EL2 registers are restored ({@link HypCpuParams}), the host's
 * registers set to resume at its entry point with the context id in x0, and the module notifier told
 * ({@code CPU_ENTRY}). SYSTEM_OFF and SYSTEM_RESET poison the pvmfw pages before they are forwarded.
 */
public final class PsciRelay {
    /** The boot-argument lock: free, or a CPU_ON is pending. */
    private static final int CPU_OFF = 0;
    private static final int CPU_ON_PENDING = 1;
    /** The word the pvmfw pages are poisoned with. */
    public static final long PVMFW_POISON = 0xDEAD_DEAD_DEAD_DEADL;

    private final HypPlatform platform;
    private final HypCpuParams params;
    private final SmcRegistry registry;
    private final AtomicIntegerArray bootLock;
    private final long[] bootPc;
    private final long[] bootR0;
    private final long[] suspendPc;
    private final long[] suspendR0;

    /** The relay for {@code platform}'s CPUs. */
    public PsciRelay(HypPlatform platform, HypCpuParams params, SmcRegistry registry) {
        this.platform = platform;
        this.params = params;
        this.registry = registry;
        int n = platform.nrCpus();
        this.bootLock = new AtomicIntegerArray(n);
        this.bootPc = new long[n];
        this.bootR0 = new long[n];
        this.suspendPc = new long[n];
        this.suspendR0 = new long[n];
    }

    /**
     * {@code kvm_host_psci_handler}: handles the host's SMC in {@code cpu}'s registers if it is a PSCI
     * call.
     *
     * @return whether it was one (answered in x0)
     */
    public boolean handle(Cpu cpu, UserPtRegs regs) {
        long fn = regs.get(0) & ~Smccc.CALL_HINTS;
        if (!Psci.isPsciCall(fn)) {
            return false;
        }
        long fn64 = fn | Smccc.SMC64;
        if (fn64 == Psci.CPU_ON) {
            regs.set(0, cpuOn(cpu, regs));
        } else if (fn64 == Psci.CPU_SUSPEND) {
            cpuSuspend(cpu, regs);
        } else if (fn64 == Psci.SYSTEM_SUSPEND) {
            systemSuspend(cpu, regs);
        } else if (fn64 == (Psci.SYSTEM_OFF | Smccc.SMC64) || fn64 == (Psci.SYSTEM_RESET | Smccc.SMC64)
                || fn64 == Psci.SYSTEM_RESET2) {
            poisonPvmfw();
            platform.smcToEl3(cpu);
        } else {
            // VERSION, FEATURES, AFFINITY_INFO, MIGRATE_INFO_TYPE, CPU_OFF, ...: psci_forward.
            platform.smcToEl3(cpu);
        }
        return true;
    }

    /** {@code psci_cpu_on}: x1 = target MPIDR, x2 = the host's entry point, x3 = its context id. */
    private long cpuOn(Cpu cpu, UserPtRegs regs) {
        long mpidr = regs.get(1);
        if (mpidr < 0 || mpidr >= platform.nrCpus()) {
            return Psci.RET_INVALID_PARAMS;
        }
        int target = (int) mpidr;
        if (!bootLock.compareAndSet(target, CPU_OFF, CPU_ON_PENDING)) {
            return Psci.RET_ALREADY_ON;
        }
        bootPc[target] = regs.get(2);
        bootR0[target] = regs.get(3);
        long pc = regs.get(2);
        long r0 = regs.get(3);
        // The firmware starts the target at EL2's entry (kvm_hyp_cpu_entry), not the host's.
        regs.set(2, 0);
        regs.set(3, target);
        platform.smcToEl3(cpu);
        long ret = regs.get(0);
        regs.set(2, pc);
        regs.set(3, r0);
        if (ret != Psci.RET_SUCCESS) {
            bootLock.set(target, CPU_OFF);
        }
        return ret;
    }

    /** {@code psci_cpu_suspend}: x1 = power_state, x2 = entry point, x3 = context id. */
    private void cpuSuspend(Cpu cpu, UserPtRegs regs) {
        registry.notifyPsci(PsciEvent.CPU_SUSPEND, regs);
        suspendPc[cpu.id()] = regs.get(2);
        suspendR0[cpu.id()] = regs.get(3);
        if (platform.smcToEl3(cpu) == El3Return.RETURNED) {
            return; // a standby state, or refused: x0 says which
        }
        // Woken from a powerdown state: cpuEntry already prepared the host's resume.
    }

    /** {@code psci_system_suspend}: x1 = entry point, x2 = context id; the last CPU on only. */
    private void systemSuspend(Cpu cpu, UserPtRegs regs) {
        registry.notifyPsci(PsciEvent.SYSTEM_SUSPEND, regs);
        suspendPc[cpu.id()] = regs.get(1);
        suspendR0[cpu.id()] = regs.get(2);
        platform.smcToEl3(cpu);
    }

    /**
     * {@code kvm_host_psci_cpu_entry}: {@code cpu} enters EL2 from the firmware, switched on ({@code
     * cpuOn}) or woken from a powerdown suspend.
     */
    public void cpuEntry(Cpu cpu, boolean cpuOn) {
        params.restore(cpu);
        int id = cpu.id();
        UserPtRegs regs = cpu.regs();
        if (cpuOn) {
            regs.set(0, bootR0[id]);
            regs.setPc(bootPc[id]);
            bootLock.set(id, CPU_OFF); // release_boot_args
        } else {
            regs.set(0, suspendR0[id]);
            regs.setPc(suspendPc[id]);
        }
        registry.notifyPsci(PsciEvent.CPU_ENTRY, regs);
    }

    /** {@code pkvm_poison_pvmfw_pages}: the pVM firmware must not outlive the system's run. */
    private void poisonPvmfw() {
        long base = platform.pvmfwBase();
        for (long off = 0; off < Machine.PVMFW_SIZE; off += 8) {
            platform.memory().store64(base + off, PVMFW_POISON);
        }
    }
}
