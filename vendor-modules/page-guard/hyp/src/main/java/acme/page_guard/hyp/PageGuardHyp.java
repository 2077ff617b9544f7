package acme.page_guard.hyp;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The EL2 side of page_guard: write-protects ranges of host pages in the host stage-2 ({@code
 * host_stage2_mod_prot}, read-only) and handles the permission faults the host's writes take. Each
 * handler answers SUCCESS in x0 and its result or a negative errno in x1; the kernel's own errno
 * (EINVAL, EPERM from {@code host_stage2_mod_prot}) is passed on unchanged.
 */
public final class PageGuardHyp {
    /** Guards the table holds. */
    public static final int MAX_GUARDS = 32;
    /** protect flag: record writes and emulate them as ignored instead of injecting the abort. */
    public static final long FLAG_LOG_ONLY = 1;

    private static final long ESR_WNR = 1L << 6;
    /** A fault handler's "not claimed": pass the fault on to the next handler, then pKVM. */
    private static final int NOT_CLAIMED = (int) Errno.EPERM.negated();

    // Module-global EL2 state, as a C module's static data: each device loads its own copy.
    private static ModuleOps ops;
    private static GuardTable guards;

    private PageGuardHyp() {
    }

    /** Allocates the table and registers the permission-fault handler (for the life of the hypervisor). */
    @El2Symbol("page_guard_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        guards = new GuardTable(MAX_GUARDS, ops.newSpinLock());
        ops.registerHostPermFaultHandler(new FaultHandler());
        ops.puts("page_guard: EL2 ready, " + MAX_GUARDS + " guards");
    }

    /**
     * protect(x1 = pfn, x2 = nr_pages, x3 = flags): x1 = 0; -EINVAL for no pages, unknown flags or a
     * range that overflows; -EBUSY if it overlaps a guard of this module; -ENOMEM when the table is
     * full; else host_stage2_mod_prot's errno (-EPERM: not all host-owned memory).
     */
    @El2Symbol("page_guard_protect")
    public static void protect(UserPtRegs regs) {
        long pfn = regs.get(1);
        long nrPages = regs.get(2);
        long flags = regs.get(3);
        answer(regs, protect(pfn, nrPages, flags), 0);
    }

    private static long protect(long pfn, long nrPages, long flags) {
        if (nrPages <= 0 || (flags & ~FLAG_LOG_ONLY) != 0 || pfn < 0 || pfn + nrPages < pfn) {
            return Errno.EINVAL.negated();
        }
        Guard guard = new Guard(pfn, nrPages, (flags & FLAG_LOG_ONLY) != 0);
        guards.lock();
        try {
            if (guards.overlaps(pfn, guard.end())) {
                return Errno.EBUSY.negated();
            }
            // Publish before protecting: the first write after the stage-2 change must find its guard.
            if (!guards.add(guard)) {
                return Errno.ENOMEM.negated();
            }
            try {
                ops.hostStage2ModProt(pfn, Prot.R, nrPages);
            } catch (PkvmException e) {
                guards.remove(guard); // all or nothing: the pages were not touched
                return e.errno().negated();
            }
            return 0;
        } finally {
            guards.unlock();
        }
    }

    /**
     * unprotect(x1 = first pfn of a guard): gives the pages back RWX; x1 = 0 and x2 = the guard's
     * violation count, or x1 = -ENOENT if no guard starts there.
     */
    @El2Symbol("page_guard_unprotect")
    public static void unprotect(UserPtRegs regs) {
        long pfn = regs.get(1);
        guards.lock();
        try {
            Guard guard = guards.startingAt(pfn);
            if (guard == null) {
                answer(regs, Errno.ENOENT.negated(), 0);
                return;
            }
            try {
                ops.hostStage2ModProt(guard.pfn, Prot.RWX, guard.nrPages);
            } catch (PkvmException e) {
                answer(regs, e.errno().negated(), 0); // the guard stays: its pages are still protected
                return;
            }
            guards.remove(guard);
            answer(regs, 0, guard.violations.get());
        } finally {
            guards.unlock();
        }
    }

    /**
     * stats(x1 = any pfn of a guard): x1 = its violation count, x2 = the last faulting address (0 if
     * none), x3 = its first pfn; or x1 = -ENOENT.
     */
    @El2Symbol("page_guard_stats")
    public static void stats(UserPtRegs regs) {
        Guard guard = guards.holding(regs.get(1));
        regs.set(0, Smccc.RET_SUCCESS);
        if (guard == null) {
            regs.set(1, Errno.ENOENT.negated());
            return;
        }
        // Two atomics, not one snapshot: a fault racing with this read may show in one and not yet in
        // the other. Callers that need the pair exact read it while the host is quiet.
        regs.set(1, guard.violations.get());
        regs.set(2, guard.lastAddr.get());
        regs.set(3, guard.pfn);
    }

    private static void answer(UserPtRegs regs, long x1, long x2) {
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, x1);
        regs.set(2, x2);
    }

    /**
     * {@code register_host_perm_fault_handler}'s callback: a fault on a page this module guards is a
     * violation, recorded; a guard in log-only mode claims it (the write is emulated as ignored, the
     * host goes on), any other lets pKVM inject the abort. Faults on pages it does not guard belong
     * to another module's handler.
     */
    static final class FaultHandler implements HostPermFaultHandler {
        @Override
        public int handle(UserPtRegs regs, long esr, long addr) {
            long pfn = addr >>> 12;
            Guard guard = guards.holding(pfn);
            if (guard == null) {
                return NOT_CLAIMED;
            }
            guard.lastAddr.set(addr);
            long n = guard.violations.incrementAndGet();
            ops.puts("page_guard: " + ((esr & ESR_WNR) != 0 ? "write to" : "read of") + " guarded PA 0x"
                    + Long.toHexString(addr) + " (pfn 0x" + Long.toHexString(pfn) + "): violation " + n + ", "
                    + (guard.logOnly ? "ignored" : "refused"));
            return guard.logOnly ? 0 : NOT_CLAIMED;
        }
    }
}
