package org.pkvm4j.machine;

import java.util.HashMap;
import java.util.Map;
import org.pkvm4j.api.Ffa;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;

/**
 * The machine's secure firmware at EL3: what answers an SMC nobody at EL2 claimed.
 *
 * <p>Kernel counterpart: none in the kernel; Trusted Firmware-A's runtime services as pKVM sees them
 * through {@code __kvm_hyp_host_forward_smc}: the SMCCC version and features, PSCI (which really
 * switches this machine's CPUs off and on), and the FF-A basics of an SPMC with no partition (its
 * version, features, id, and memory shares it only records). Anything else is {@code
 * SMCCC_RET_NOT_SUPPORTED}. It is neither EL1 nor EL2, so it lives in the machine: the host reaches
 * it directly only while no EL2 vector is installed, the hypervisor through {@link
 * HypPlatform#smcToEl3}.
 *
 * <p>CPU power: an off CPU takes no trap and {@link Machine#getCpu()} never hands it out. CPU_ON
 * marks the target pending; the target enters at once after the trap that switched it on
 * returns ({@link #bootPendingCpus}): at the hypervisor's entry ({@link El2Vector#cpuEntry}) if the
 * call came from EL2, at the host's otherwise.
 */
public final class El3Firmware {
    /** A CPU's power states, as AFFINITY_INFO reports them. */
    static final int ON = 0;
    static final int OFF = 1;
    static final int ON_PENDING = 2;

    /** The partition id FFA_ID_GET reports to the normal world (the hypervisor's, {@code HOST_FFA_ID}). */
    public static final long NORMAL_WORLD_FFA_ID = 0;

    private static final long PAGE_SIZE = MachineConfig.PAGE_SIZE;

    private final Machine machine;
    private final Map<Long, long[]> ffaShares = new HashMap<>();
    private long nextFfaHandle = 1;
    private final long[] pendingEntry;
    private final long[] pendingContext;
    private final boolean[] pendingAtEl2;

    El3Firmware(Machine machine) {
        this.machine = machine;
        int n = machine.nrCpus();
        this.pendingEntry = new long[n];
        this.pendingContext = new long[n];
        this.pendingAtEl2 = new boolean[n];
    }

    /**
     * Answers the SMC in {@code cpu}'s host registers, issued from EL2 if {@code fromEl2} (the
     * hypervisor forwarding it) or else from the host directly.
     */
    El3Return smc(Cpu cpu, boolean fromEl2) {
        UserPtRegs regs = cpu.regs();
        long fn = regs.get(0) & ~Smccc.CALL_HINTS;
        if (fn == Smccc.VERSION_FUNC_ID) {
            regs.set(0, Smccc.VERSION_1_2);
        } else if (fn == Smccc.ARCH_FEATURES_FUNC_ID) {
            regs.set(0, implemented(regs.get(1)) ? Smccc.RET_SUCCESS : Smccc.RET_NOT_SUPPORTED);
        } else if (Psci.isPsciCall(fn)) {
            return psci(cpu, regs, fn | Smccc.SMC64, fromEl2);
        } else if (Ffa.isFfaCall(fn)) {
            ffa(regs, fn);
        } else {
            regs.set(0, Smccc.RET_NOT_SUPPORTED);
        }
        return El3Return.RETURNED;
    }

    /** Whether SMCCC_ARCH_FEATURES, PSCI_FEATURES and FFA_FEATURES report {@code fn} implemented. */
    private static boolean implemented(long fn) {
        long f = fn & ~Smccc.CALL_HINTS;
        if (f == Smccc.VERSION_FUNC_ID || f == Smccc.ARCH_FEATURES_FUNC_ID) {
            return true;
        }
        long psci = f | Smccc.SMC64;
        if (psci == (Psci.VERSION | Smccc.SMC64) || psci == Psci.CPU_SUSPEND || psci == (Psci.CPU_OFF | Smccc.SMC64)
                || psci == Psci.CPU_ON || psci == Psci.AFFINITY_INFO || psci == (Psci.MIGRATE_INFO_TYPE | Smccc.SMC64)
                || psci == (Psci.SYSTEM_OFF | Smccc.SMC64) || psci == (Psci.SYSTEM_RESET | Smccc.SMC64)
                || psci == (Psci.FEATURES | Smccc.SMC64) || psci == Psci.SYSTEM_SUSPEND || psci == Psci.SYSTEM_RESET2) {
            return true;
        }
        return f == Ffa.VERSION || f == Ffa.FEATURES || f == Ffa.ID_GET || f == Ffa.MEM_SHARE || f == Ffa.MEM_LEND
                || f == Ffa.MEM_RECLAIM;
    }

    // ---------------------------------------------------------------- PSCI

    private El3Return psci(Cpu cpu, UserPtRegs regs, long fn, boolean fromEl2) {
        if (fn == (Psci.VERSION | Smccc.SMC64)) {
            regs.set(0, Psci.VERSION_1_1);
        } else if (fn == (Psci.FEATURES | Smccc.SMC64)) {
            long f = regs.get(1);
            regs.set(0, Psci.isPsciCall(f) && implemented(f) ? Psci.RET_SUCCESS : Psci.RET_NOT_SUPPORTED);
        } else if (fn == (Psci.MIGRATE_INFO_TYPE | Smccc.SMC64)) {
            regs.set(0, 2); // no trusted OS that needs migrating
        } else if (fn == Psci.AFFINITY_INFO) {
            Cpu target = target(regs.get(1));
            regs.set(0, target == null || regs.get(2) != 0 ? Psci.RET_INVALID_PARAMS : target.power());
        } else if (fn == Psci.CPU_ON) {
            regs.set(0, cpuOn(regs.get(1), regs.get(2), regs.get(3), fromEl2));
        } else if (fn == (Psci.CPU_OFF | Smccc.SMC64)) {
            synchronized (this) {
                cpu.powerDown(OFF);
            }
            regs.set(0, Psci.RET_SUCCESS);
            return El3Return.POWERED_OFF;
        } else if (fn == Psci.CPU_SUSPEND) {
            long powerState = regs.get(1);
            if ((powerState & ~(Psci.POWER_STATE_TYPE_POWER_DOWN | 0xFFFF)) != 0) {
                regs.set(0, Psci.RET_INVALID_PARAMS);
            } else if ((powerState & Psci.POWER_STATE_TYPE_POWER_DOWN) == 0) {
                regs.set(0, Psci.RET_SUCCESS); // standby: context kept, woken at once
            } else {
                return wake(cpu, regs.get(2), regs.get(3), fromEl2);
            }
        } else if (fn == Psci.SYSTEM_SUSPEND) {
            synchronized (this) {
                for (Cpu other : machine.cpuArray()) {
                    if (other != cpu && other.power() != OFF) {
                        regs.set(0, Psci.RET_DENIED);
                        return El3Return.RETURNED;
                    }
                }
            }
            return wake(cpu, regs.get(1), regs.get(2), fromEl2);
        } else if (fn == (Psci.SYSTEM_OFF | Smccc.SMC64) || fn == (Psci.SYSTEM_RESET | Smccc.SMC64) || fn == Psci.SYSTEM_RESET2) {
            synchronized (this) {
                machine.systemPower(fn == (Psci.SYSTEM_OFF | Smccc.SMC64) ? SystemPower.OFF : SystemPower.RESET);
                for (Cpu c : machine.cpuArray()) {
                    c.powerDown(OFF);
                    if (c.tryClaim()) {
                        c.release(); // parks it; a CPU held by a trap is parked when that trap gives it back
                    }
                }
            }
            regs.set(0, Psci.RET_SUCCESS);
            return El3Return.POWERED_OFF;
        } else {
            regs.set(0, Psci.RET_NOT_SUPPORTED);
        }
        return El3Return.RETURNED;
    }

    /** The CPU whose MPIDR is {@code mpidr} (Aff0 = the CPU number), or null. */
    private Cpu target(long mpidr) {
        return mpidr >= 0 && mpidr < machine.nrCpus() ? machine.cpuArray()[(int) mpidr] : null;
    }

    private synchronized long cpuOn(long mpidr, long entry, long context, boolean fromEl2) {
        Cpu target = target(mpidr);
        if (target == null) {
            return Psci.RET_INVALID_PARAMS;
        }
        if (!fromEl2 && !machine.dram().isMemory(entry)) {
            return Psci.RET_INVALID_ADDRESS;
        }
        int power = target.power();
        if (power == ON) {
            return Psci.RET_ALREADY_ON;
        }
        if (power == ON_PENDING) {
            return Psci.RET_ON_PENDING;
        }
        pendingEntry[target.id()] = entry;
        pendingContext[target.id()] = context;
        pendingAtEl2[target.id()] = fromEl2;
        target.setPower(ON_PENDING);
        return Psci.RET_SUCCESS;
    }

    /**
     * A powerdown suspend: the CPU loses its context and wakes at once at {@code entry}, the
     * hypervisor's ({@link El2Vector#cpuEntry}) if the call came from EL2.
     */
    private El3Return wake(Cpu cpu, long entry, long context, boolean fromEl2) {
        synchronized (this) {
            cpu.powerDown(ON);
        }
        El2Vector vector = machine.el2Vector();
        if (fromEl2 && vector != null) {
            vector.cpuEntry(cpu, false);
            return El3Return.ENTERED_AT_ENTRY;
        }
        cpu.regs().set(0, context);
        cpu.regs().setPc(entry);
        return El3Return.ENTERED_AT_ENTRY;
    }

    /**
     * Starts every CPU a CPU_ON made pending, on the calling thread, which has just finished the
     * trap that switched them on: each enters the hypervisor ({@link El2Vector#cpuEntry}) or, with
     * no EL2, the host's entry point with the context id in x0.
     */
    void bootPendingCpus(Cpu caller) {
        for (Cpu target : machine.cpuArray()) {
            if (target.power() != ON_PENDING) {
                continue;
            }
            if (!target.claimParked()) {
                continue; // another thread started it meanwhile
            }
            long entry;
            long context;
            boolean atEl2;
            synchronized (this) {
                entry = pendingEntry[target.id()];
                context = pendingContext[target.id()];
                atEl2 = pendingAtEl2[target.id()];
                target.setPower(ON);
            }
            try {
                El2Vector vector = machine.el2Vector();
                if (atEl2 && vector != null) {
                    machine.runAs(target, caller, () -> vector.cpuEntry(target, true));
                } else {
                    target.regs().set(0, context);
                    target.regs().setPc(entry);
                }
            } finally {
                target.release();
            }
        }
    }

    // ---------------------------------------------------------------- FF-A

    private void ffa(UserPtRegs regs, long fn) {
        if (fn == Ffa.VERSION) {
            regs.set(0, Ffa.VERSION_1_1);
        } else if (fn == Ffa.FEATURES) {
            if (Ffa.isFfaCall(regs.get(1)) && implemented(regs.get(1))) {
                success(regs, 0, 0);
            } else {
                error(regs, Ffa.RET_NOT_SUPPORTED);
            }
        } else if (fn == Ffa.ID_GET) {
            success(regs, NORMAL_WORLD_FFA_ID, 0);
        } else if (fn == Ffa.MEM_SHARE || fn == Ffa.MEM_LEND) {
            long pa = regs.get(3);
            long pages = regs.get(4);
            if (pages <= 0 || (pa & (PAGE_SIZE - 1)) != 0 || !machine.dram().isMemory(pa)
                    || pages > (machine.dram().end() - pa) / PAGE_SIZE) {
                error(regs, Ffa.RET_INVALID_PARAMETERS);
                return;
            }
            long handle;
            synchronized (this) {
                handle = nextFfaHandle++;
                ffaShares.put(handle, new long[] {pa, pages});
            }
            success(regs, handle, 0);
        } else if (fn == Ffa.MEM_RECLAIM) {
            long[] share;
            synchronized (this) {
                share = ffaShares.remove(regs.get(1));
            }
            if (share == null) {
                error(regs, Ffa.RET_INVALID_PARAMETERS);
            } else {
                success(regs, 0, 0);
            }
        } else {
            error(regs, Ffa.RET_NOT_SUPPORTED);
        }
    }

    private static void success(UserPtRegs regs, long x2, long x3) {
        regs.set(0, Ffa.SUCCESS);
        regs.set(1, 0);
        regs.set(2, x2);
        regs.set(3, x3);
    }

    private static void error(UserPtRegs regs, long code) {
        regs.set(0, Ffa.ERROR);
        regs.set(1, 0);
        regs.set(2, code);
        regs.set(3, 0);
    }

    /**
     * The memory the secure world holds through FF-A shares and lends: {pa, pages} per handle.
     *
     * @return a copy, handle to {first PA, page count}
     */
    public synchronized Map<Long, long[]> ffaShares() {
        Map<Long, long[]> copy = new HashMap<>();
        ffaShares.forEach((h, r) -> copy.put(h, r.clone()));
        return copy;
    }
}
