package acme.sysreg_trap.hyp;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.DefaultTrapHandler;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.HypPanicNotifier;
import org.pkvm4j.api.el2.HypSpinLock;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.PsciEvent;
import org.pkvm4j.api.el2.PsciNotifier;
import org.pkvm4j.api.el2.SerrorMask;
import org.pkvm4j.api.el2.SerrorUnmask;

/**
 * The EL2 side of sysreg_trap: a kernel-integrity filter on {@code SCTLR_EL1}. It makes the host's
 * writes to {@code SCTLR_EL1} trap to EL2 with the fine-grained write trap ({@code
 * HFGWTR_EL2.SCTLR_EL1}, per CPU, from the init and from {@code sysreg_trap_enable}) and handles them
 * in its default trap handler: a write that would clear {@code M} (the MMU) or {@code WXN} while set
 * is refused (dropped, counted, logged in an EL2 heap buffer and traced with {@code
 * tracing_mod_hyp_printk}); any other write is performed at EL2 and traced as a hyp event. Its PSCI
 * notifier keeps the power events it is told of (which CPU suspended, which entered EL2 again): the
 * trap it set is pKVM's to restore on entry ({@code update_hfgwtr_el2} persists across power
 * management), and the log lets the host check that the filter stayed on through each. As an
 * integrity module it also keeps the host from absorbing errors: SError is unmasked at EL2 during
 * every host trap (an SError pending then is taken at EL2, a hyp panic, instead of by the host), and
 * its panic notifier writes its counters to the EL2 console before the panic report.
 */
public final class SysregTrapHyp {
    /** {@code SCTLR_ELx_M}: the MMU enable. */
    public static final long SCTLR_M = 1L;
    /** {@code SCTLR_ELx_WXN}: writable implies execute-never. */
    public static final long SCTLR_WXN = 1L << 19;
    /** The bits the host may set but never clear. */
    public static final long PROTECTED_BITS = SCTLR_M | SCTLR_WXN;
    /** Refused values the heap log keeps (a ring). */
    public static final int LOG_ENTRIES = 64;
    /** Hyp event id of an allowed write (its payload: the value, 8 bytes). */
    public static final int EVENT_ALLOWED = 1;
    /** {@code tracing_mod_hyp_printk} format of a refused write: value, current, CPU. */
    public static final int FMT_REFUSED = 1;
    /** Power events the PSCI log keeps (a ring). */
    public static final int PSCI_LOG_ENTRIES = 32;

    // Module-global EL2 state, as a C module's static data: each device loads its own copy.
    private static ModuleOps ops;
    private static HypSpinLock lock;
    private static long allowed;
    private static long refused;
    private static long lastRefused;
    private static long logVa;
    private static final long[] psciLog = new long[PSCI_LOG_ENTRIES];
    private static long psciEvents;

    private SysregTrapHyp() {
    }

    /** Registers the trap handler, then traps SCTLR_EL1 writes on the init's CPU. */
    @El2Symbol("sysreg_trap_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        lock = ops.newSpinLock();
        ops.registerDefaultTrapHandler(new SctlrFilter());
        ops.registerPsciNotifier(new PowerLog());
        SerrorAtEl2 serror = new SerrorAtEl2();
        ops.registerUnmaskSerror(serror, serror);
        ops.registerHypPanicNotifier(new PanicDump());
        ops.updateHfgwtrEl2(SysReg.SCTLR_EL1.hfgwtrBit(), 0);
        ops.puts("sysreg_trap: EL2 ready, SCTLR_EL1 writes trap on CPU" + ops.smpProcessorId());
    }

    /**
     * enable(x1 = on): traps SCTLR_EL1 writes on this CPU (x1 != 0) or stops (x1 = 0); x1 = 0. On
     * first use it takes its log buffer from the EL2 heap: -ENOMEM (with a request for the missing
     * pages, which the host donates before it retries) when the heap is empty.
     */
    @El2Symbol("sysreg_trap_enable")
    public static void enable(UserPtRegs regs) {
        boolean on = regs.get(1) != 0;
        regs.set(0, Smccc.RET_SUCCESS);
        lock.lock();
        try {
            if (logVa == 0) {
                long va = ops.hypAlloc(LOG_ENTRIES * 8L);
                if (va == 0) {
                    int errno = ops.hypAllocErrno();
                    if (errno == (int) Errno.ENOMEM.negated()) {
                        try {
                            ops.requestHypAlloc();
                        } catch (PkvmException e) {
                            // EBUSY: a request is pending already; the host serves it on return.
                        }
                    }
                    regs.set(1, errno);
                    return;
                }
                logVa = va;
            }
        } finally {
            lock.unlock();
        }
        long bit = SysReg.SCTLR_EL1.hfgwtrBit();
        ops.updateHfgwtrEl2(on ? bit : 0, on ? 0 : bit);
        regs.set(1, 0);
    }

    /** stats(): x1 = writes allowed, x2 = writes refused, x3 = the last refused value. */
    @El2Symbol("sysreg_trap_stats")
    public static void stats(UserPtRegs regs) {
        lock.lock();
        try {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, allowed);
            regs.set(2, refused);
            regs.set(3, lastRefused);
        } finally {
            lock.unlock();
        }
    }

    /** log(x1 = n): x1 = the n-th refused value (from 0), -ENOENT if there is none (or it was overwritten). */
    @El2Symbol("sysreg_trap_log")
    public static void log(UserPtRegs regs) {
        long n = regs.get(1);
        regs.set(0, Smccc.RET_SUCCESS);
        lock.lock();
        try {
            if (n < 0 || n >= refused || refused - n > LOG_ENTRIES || logVa == 0) {
                regs.set(1, Errno.ENOENT.negated());
                return;
            }
            regs.set(1, ops.load64(logVa + (n % LOG_ENTRIES) * 8));
        } finally {
            lock.unlock();
        }
    }

    /**
     * psci_log(x1 = n): x1 = the n-th power event told to the notifier (from 0), as {@code cpu << 8 |
     * event ordinal}; -ENOENT if there is none (or it was overwritten). x2 = the number of events.
     */
    @El2Symbol("sysreg_trap_psci_log")
    public static void psciLog(UserPtRegs regs) {
        long n = regs.get(1);
        regs.set(0, Smccc.RET_SUCCESS);
        lock.lock();
        try {
            regs.set(2, psciEvents);
            if (n < 0 || n >= psciEvents || psciEvents - n > PSCI_LOG_ENTRIES) {
                regs.set(1, Errno.ENOENT.negated());
                return;
            }
            regs.set(1, psciLog[(int) (n % PSCI_LOG_ENTRIES)]);
        } finally {
            lock.unlock();
        }
    }

    /** Unmasks SError at EL2 for every host trap: a pending SError is fatal, never the host's to take. */
    static final class SerrorAtEl2 implements SerrorUnmask, SerrorMask {
        @Override
        public boolean unmask() {
            return true;
        }

        @Override
        public void mask() {
            // PSTATE.A is set again by pKVM on the way out; nothing of ours to undo.
        }
    }

    /**
     * The panic notifier: the counters, on the panicking CPU, before the report. It takes no lock:
     * the panic may have come while this CPU held it.
     */
    static final class PanicDump implements HypPanicNotifier {
        @Override
        public void onHypPanic(UserPtRegs regs) {
            ops.puts("sysreg_trap: hyp panic on CPU" + ops.smpProcessorId() + ": " + allowed + " SCTLR_EL1 writes allowed, "
                    + refused + " refused");
        }
    }

    /** The PSCI notifier: logs each event with the CPU it concerns; it changes nothing. */
    static final class PowerLog implements PsciNotifier {
        @Override
        public void notify(PsciEvent event, UserPtRegs regs) {
            long entry = (long) ops.smpProcessorId() << 8 | event.ordinal();
            lock.lock();
            try {
                psciLog[(int) (psciEvents % PSCI_LOG_ENTRIES)] = entry;
                psciEvents++;
            } finally {
                lock.unlock();
            }
        }
    }

    /** The default trap handler: SCTLR_EL1 writes only; anything else is not ours (pKVM panics). */
    static final class SctlrFilter implements DefaultTrapHandler {
        @Override
        public boolean handle(UserPtRegs regs, long esr) {
            if (SysReg.fromEsr(esr) != SysReg.SCTLR_EL1 || SysReg.esrIsRead(esr)) {
                return false;
            }
            int rt = SysReg.esrRt(esr);
            long value = rt == 31 ? 0 : regs.get(rt); // Rt 31 is XZR
            long current = ops.readSysreg(SysReg.SCTLR_EL1);
            boolean refuse = (current & PROTECTED_BITS & ~value) != 0;
            lock.lock();
            try {
                if (refuse) {
                    if (logVa != 0) {
                        ops.store64(logVa + (refused % LOG_ENTRIES) * 8, value);
                    }
                    refused++;
                    lastRefused = value;
                } else {
                    allowed++;
                }
            } finally {
                lock.unlock();
            }
            if (refuse) {
                ops.tracingModHypPrintk(FMT_REFUSED, value, current, ops.smpProcessorId(), 0);
                return true; // emulated as ignored: the instruction is skipped
            }
            ops.writeSysreg(SysReg.SCTLR_EL1, value);
            long entry = ops.tracingReserveEntry(10);
            if (entry != 0) {
                ops.store8(entry, (byte) EVENT_ALLOWED);
                ops.store8(entry + 1, (byte) 0);
                for (int i = 0; i < 8; i++) {
                    ops.store8(entry + 2 + i, (byte) (value >>> (8 * i)));
                }
                ops.tracingCommitEntry();
            }
            return true;
        }
    }
}
