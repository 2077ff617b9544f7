package acme.hyp_audit.hyp;

import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.HypSpinLock;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.PsciEvent;

/**
 * The EL2 side of hyp_audit, a module of the android14-5.15 KMI: every callback takes the host's
 * {@code struct kvm_cpu_context}. It counts the host SMCs that pass pKVM's PSCI relay and FF-A proxy
 * (and answers its own SiP call with the counts), counts the PSCI power events, owns {@code
 * ACTLR_EL1}: the host's reads of it trap ({@code HCR_EL2.TACR}) and read the vendor's value, and a
 * write is a kernel-integrity violation it does not handle, so pKVM panics; its panic notifier then
 * prints the host's context of the trap that panicked.
 */
public final class HypAuditHyp {
    /** The SiP call hyp_audit answers at EL2: x1 = SMCs seen, x2 = PSCI events, x3 = ACTLR_EL1 reads emulated. */
    public static final long SIP_AUDIT_STATS = 0xC200_0A00L;
    /** What the host reads from {@code ACTLR_EL1}. */
    public static final long ACTLR_VALUE = 0x0000_0000_0000_1A2BL;

    // Module-global EL2 state, as a C module's static data.
    private static ModuleOps ops;
    private static HypSpinLock lock;
    private static long smcs;
    private static long psciEvents;
    private static long actlrReads;

    private HypAuditHyp() {
    }

    /** Registers the four android14-5.15 callbacks. */
    @El2Symbol("hyp_audit_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        lock = ops.newSpinLock();
        ops.registerHostSmcHandlerCtxt(HypAuditHyp::auditSmc);
        ops.registerPsciNotifierCtxt(HypAuditHyp::psci);
        ops.registerDefaultTrapHandlerCtxt(HypAuditHyp::actlr);
        ops.registerHypPanicNotifierCtxt(HypAuditHyp::panic);
        ops.puts("hyp_audit: EL2 audit ready (android14-5.15 callbacks)");
    }

    /** trap_actlr(): makes the host's ACTLR_EL1 accesses trap on the calling CPU; x1 = 0. */
    @El2Symbol("hyp_audit_trap_actlr")
    public static void trapActlr(KvmCpuContext ctxt) {
        ops.updateHcrEl2(Hcr.TACR, 0);
        ctxt.setReg(1, 0);
    }

    /** The host SMC handler: counts, answers {@link #SIP_AUDIT_STATS}, forwards the rest. */
    static boolean auditSmc(KvmCpuContext ctxt) {
        long fn = ctxt.reg(0) & ~(Smccc.SMC64 | Smccc.CALL_HINTS);
        lock.lock();
        try {
            if (fn == (SIP_AUDIT_STATS & ~Smccc.SMC64)) {
                ctxt.setReg(0, Smccc.RET_SUCCESS);
                ctxt.setReg(1, smcs);
                ctxt.setReg(2, psciEvents);
                ctxt.setReg(3, actlrReads);
                return true;
            }
            smcs++;
        } finally {
            lock.unlock();
        }
        return false; // on to the firmware
    }

    /** The PSCI notifier: counts suspends and entries. */
    static void psci(PsciEvent event, KvmCpuContext ctxt) {
        lock.lock();
        try {
            psciEvents++;
        } finally {
            lock.unlock();
        }
    }

    /** The default trap handler: ACTLR_EL1 reads only; a write (or anything else) is left to pKVM, which panics. */
    static boolean actlr(KvmCpuContext ctxt, long esr) {
        if (SysReg.fromEsr(esr) != SysReg.ACTLR_EL1 || !SysReg.esrIsRead(esr)) {
            return false;
        }
        int rt = SysReg.esrRt(esr);
        if (rt != 31) {
            ctxt.setReg(rt, ACTLR_VALUE);
        }
        lock.lock();
        try {
            actlrReads++;
        } finally {
            lock.unlock();
        }
        return true;
    }

    /** The panic notifier: the host's context of the trap that panicked, on the console. */
    static void panic(KvmCpuContext hostCtxt) {
        ops.puts("hyp_audit: hyp panic on CPU" + ops.smpProcessorId() + ", host x0=0x" + Long.toHexString(hostCtxt.reg(0)));
    }
}
