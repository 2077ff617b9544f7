package org.pkvm4j.hypervisor.smc;

import java.util.HashMap;
import java.util.Map;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Ffa;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPlatform;

/**
 * The host's FF-A memory calls at EL2: a share or lend moves the host's pages to SHARED_OWNED
 * ({@link MemProtect#hostShareFfa}) before the secure world hears of it; a reclaim gives them back
 * ({@link MemProtect#hostUnshareFfa}) only after the secure world let go. The host cannot donate
 * memory to the secure world. Other FF-A calls pass on down the chain.
 *
 * <p>Kernel counterpart: {@code kvm_host_ffa_handler}, {@code do_ffa_mem_xfer} and {@code
 * do_ffa_mem_reclaim} in {@code nvhe/ffa.c}. The kernel reads the ranges from the descriptor in the
 * host's TX buffer and, on reclaim, asks the SPMC for them again; pkvm4j's calls carry the range in
 * registers ({@link Ffa}), and the proxy keeps its own record of what each handle covers.
 */
public final class FfaProxy {
    private final HypPlatform platform;
    private final MemProtect memProtect;
    /** handle -> {pfn, nr_pages} of every share or lend the secure world holds. */
    private final Map<Long, long[]> lent = new HashMap<>();

    /** A proxy over {@code memProtect}'s host stage-2. */
    public FfaProxy(HypPlatform platform, MemProtect memProtect) {
        this.platform = platform;
        this.memProtect = memProtect;
    }

    /**
     * {@code kvm_host_ffa_handler}: takes the host's FF-A memory calls.
     *
     * @return whether it answered the call (x0..x3)
     */
    public boolean handle(Cpu cpu, UserPtRegs regs) {
        long fn = regs.get(0) & ~Smccc.CALL_HINTS;
        if (!Ffa.isFfaCall(fn)) {
            return false;
        }
        if (fn == Ffa.MEM_SHARE || fn == Ffa.MEM_LEND) {
            memXfer(cpu, regs);
        } else if (fn == Ffa.MEM_RECLAIM) {
            memReclaim(cpu, regs);
        } else if (fn == Ffa.MEM_DONATE) {
            error(regs, Ffa.RET_NOT_SUPPORTED); // ffa_call_supported: the host keeps its memory
        } else {
            return false;
        }
        return true;
    }

    /** {@code do_ffa_mem_xfer}: x3 = the first page's PA, x4 = the page count. */
    private void memXfer(Cpu cpu, UserPtRegs regs) {
        long pa = regs.get(3);
        long nrPages = regs.get(4);
        if (nrPages <= 0 || (pa & ((1L << Dram.PAGE_SHIFT) - 1)) != 0) {
            error(regs, Ffa.RET_INVALID_PARAMETERS);
            return;
        }
        long pfn = pa >>> Dram.PAGE_SHIFT;
        synchronized (this) {
            int ret = memProtect.hostShareFfa(pfn, nrPages);
            if (ret != 0) {
                error(regs, ret == Errno.EINVAL.negated() ? Ffa.RET_INVALID_PARAMETERS : Ffa.RET_DENIED);
                return;
            }
            platform.smcToEl3(cpu);
            if (regs.get(0) != Ffa.SUCCESS) {
                // The secure world refused: the pages are the host's alone again.
                check(memProtect.hostUnshareFfa(pfn, nrPages), pfn);
                return;
            }
            lent.put(regs.get(2), new long[] {pfn, nrPages});
        }
    }

    /** {@code do_ffa_mem_reclaim}: x1 = the handle. */
    private void memReclaim(Cpu cpu, UserPtRegs regs) {
        long handle = regs.get(1);
        synchronized (this) {
            long[] range = lent.get(handle);
            if (range == null) {
                error(regs, Ffa.RET_INVALID_PARAMETERS);
                return;
            }
            platform.smcToEl3(cpu);
            if (regs.get(0) != Ffa.SUCCESS) {
                return; // the secure world still holds it
            }
            lent.remove(handle);
            check(memProtect.hostUnshareFfa(range[0], range[1]), range[0]);
        }
    }

    /** How many shares and lends the secure world holds through this proxy. */
    public synchronized int outstanding() {
        return lent.size();
    }

    /** The kernel's {@code WARN_ON}: the proxy shared these pages itself, so giving them back cannot fail. */
    private static void check(int ret, long pfn) {
        if (ret != 0) {
            throw new IllegalStateException("BUG: __pkvm_host_unshare_ffa(0x%x) of a range the FF-A proxy shared: %d".formatted(pfn, ret));
        }
    }

    private static void error(UserPtRegs regs, long code) {
        regs.set(0, Ffa.ERROR);
        regs.set(1, 0);
        regs.set(2, code);
        regs.set(3, 0);
    }
}
