package org.pkvm4j.hypervisor;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.hypervisor.smc.HostSmc;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.hypervisor.traps.SerrorControl;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Vector;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PanicCause;

/**
 * The EL2 trap entry: dispatches the host's hypercalls.
 *
 * <p>Kernel counterpart: {@code handle_host_hcall} in {@code nvhe/hyp-main.c}. Order, as in ACK
 * 6.1..6.12: strip the SMCCC call hints from x0; module (dynamic) calls first; then the static table,
 * whose privileged band is closed once the host is deprivileged. Nothing unwinds across EL2: a
 * throwable escaping a handler is a hyp panic.
 */
public final class HypMain implements El2Vector {
    private final HypPlatform platform;
    private final DynamicHcalls dynamicHcalls;
    private final HostHcallTable staticHcalls;
    private final Deprivilege deprivilege;
    private final MemProtect memProtect;
    private final HostPermFaultHandlers permFaultHandlers;
    private final IllegalAbtNotifiers abtNotifiers;
    private final HostSmc hostSmc;
    private final HypTraps traps;
    // traps.serror(), held here: every host trap reads its slot.
    private final SerrorControl serror;

    /**
     * Wires the dispatcher; host stage-2 faults go to {@code memProtect}, permission faults to the
     * modules' {@code permFaultHandlers}; no module is told of injected aborts.
     */
    public HypMain(HypPlatform platform, DynamicHcalls dynamicHcalls, HostHcallTable staticHcalls,
            Deprivilege deprivilege, MemProtect memProtect, HostPermFaultHandlers permFaultHandlers) {
        this(platform, dynamicHcalls, staticHcalls, deprivilege, memProtect, permFaultHandlers, new IllegalAbtNotifiers());
    }

    /** As the other constructor, and {@code abtNotifiers} runs before every abort injected into the host. */
    public HypMain(HypPlatform platform, DynamicHcalls dynamicHcalls, HostHcallTable staticHcalls,
            Deprivilege deprivilege, MemProtect memProtect, HostPermFaultHandlers permFaultHandlers,
            IllegalAbtNotifiers abtNotifiers) {
        this(platform, dynamicHcalls, staticHcalls, deprivilege, memProtect, permFaultHandlers, abtNotifiers, null, null);
    }

    /**
     * As the other constructors, and the host's SMCs take {@code hostSmc}'s chain (null: every SMC
     * goes straight to the firmware), and host system-register traps go to {@code traps}' default
     * trap handler (null: none, every such trap panics), with SError unmasked around traps as its
     * SError pair says.
     */
    public HypMain(HypPlatform platform, DynamicHcalls dynamicHcalls, HostHcallTable staticHcalls,
            Deprivilege deprivilege, MemProtect memProtect, HostPermFaultHandlers permFaultHandlers,
            IllegalAbtNotifiers abtNotifiers, HostSmc hostSmc, HypTraps traps) {
        this.hostSmc = hostSmc;
        this.traps = traps;
        this.serror = traps == null ? null : traps.serror();
        this.abtNotifiers = abtNotifiers;
        this.permFaultHandlers = permFaultHandlers;
        this.platform = platform;
        this.dynamicHcalls = dynamicHcalls;
        this.staticHcalls = staticHcalls;
        this.deprivilege = deprivilege;
        this.memProtect = memProtect;
    }

    @Override
    public void hostHvc(Cpu cpu) {
        UserPtRegs regs = cpu.regs();
        long id = (regs.get(0) & ~Smccc.CALL_HINTS) - Smccc.KVM_HOST_SMCCC_ID_BASE;
        SerrorControl.Pair unmasked = null;
        try {
            unmasked = serror == null ? null : serror.enter(cpu);
            if (!dynamicHcalls.handle(id, cpu)) {
                handleStatic(id, cpu, regs);
            }
            if (unmasked != null) {
                SerrorControl.Pair p = unmasked;
                unmasked = null;
                serror.exit(cpu, p);
            }
        } catch (SerrorControl.SerrorTaken e) {
            serrorPanic(cpu, "HVC 0x%x".formatted(regs.get(0)));
        } catch (Throwable t) {
            // The kernel would take a synchronous exception at EL2 and hyp_panic(); so do we.
            platform.panic(cpu, "%s threw %s".formatted(dynamicHcalls.describe(id), PanicCause.describe(t)), t);
        }
    }

    /**
     * A host {@code MSR}/{@code MRS} a module made trap ({@code handle_trap}, {@code ESR_ELx_EC_SYS64}):
     * the default trap handler, and a hyp panic if there is none or it declines, as in the kernel.
     */
    @Override
    public boolean sysregTrap(Cpu cpu, long esr) {
        SysReg reg = SysReg.fromEsr(esr);
        String access = "%s %s (ESR_EL2 0x%x)".formatted(SysReg.esrIsRead(esr) ? "MRS" : "MSR", reg, esr);
        SerrorControl.Pair unmasked = null;
        try {
            unmasked = serror == null ? null : serror.enter(cpu);
            if (traps == null || !traps.trapHandlers().dispatch(cpu.regs(), esr)) {
                platform.panic(cpu, "%s: unhandled trap of the host's %s on CPU%d: no default trap handler took it"
                        .formatted(UNHANDLED_TRAP_CODE, access, cpu.id()), null);
                return true;
            }
            if (unmasked != null) {
                SerrorControl.Pair p = unmasked;
                unmasked = null;
                serror.exit(cpu, p);
            }
        } catch (SerrorControl.SerrorTaken e) {
            serrorPanic(cpu, access);
        } catch (Throwable t) {
            platform.panic(cpu, "default trap handler on the host's %s threw %s".formatted(access, PanicCause.describe(t)), t);
        }
        return true;
    }

    /** The stable code of an unhandled-trap panic (host-kernel's {@code ErrorCode.HYP_UNHANDLED_TRAP}). */
    public static final String UNHANDLED_TRAP_CODE = "PKVM-HYP-TRAP";
    /** The stable code of an SError taken at EL2 (host-kernel's {@code ErrorCode.HYP_SERROR}). */
    public static final String SERROR_CODE = "PKVM-HYP-SERROR";

    /** An SError taken at EL2: fatal in nVHE ({@code el2_error} → {@code hyp_panic}). */
    private void serrorPanic(Cpu cpu, String during) {
        platform.panic(cpu, "%s: SError taken at EL2 on CPU%d during the host's %s (unmasked by a module's unmask_serror)"
                .formatted(SERROR_CODE, cpu.id(), during), null);
    }

    /**
     * The host's data abort on a page its stage-2 does not map ({@code handle_host_mem_abort}): fixed
     * up, or an abort injected, after the module's illegal-abort notifier ran. A throwable escaping it is a hyp panic, as for a hypercall.
     */
    @Override
    public OwnerId hostMemAbort(Cpu cpu, long pa, boolean write) {
        try {
            OwnerId owner = memProtect.handleHostMemAbort(pa, write);
            if (owner != OwnerId.HOST) {
                abtNotifiers.beforeInjection(cpu.regs()); // host_inject_abort
            }
            return owner;
        } catch (Throwable t) {
            platform.panic(cpu, "handle_host_mem_abort at PA 0x%x threw %s".formatted(pa, PanicCause.describe(t)), t);
            return null;
        }
    }

    /**
     * The host's permission fault on a page a module restricted ({@code handle_host_perm_fault}): the
     * modules' handlers, in order. A throwable escaping a handler is a hyp panic.
     */
    @Override
    public boolean hostPermFault(Cpu cpu, long pa, boolean write) {
        try {
            boolean claimed = permFaultHandlers.dispatch(cpu.regs(), pa, write);
            if (!claimed) {
                abtNotifiers.beforeInjection(cpu.regs()); // host_inject_abort
            }
            return claimed;
        } catch (Throwable t) {
            platform.panic(cpu, "host perm fault handler at PA 0x%x threw %s".formatted(pa, PanicCause.describe(t)), t);
            return false;
        }
    }

    /**
     * The host's SMC ({@code handle_host_smc}): the PSCI relay, the FF-A proxy, the modules' handlers,
     * the firmware. A throwable escaping any of them is a hyp panic.
     */
    @Override
    public void hostSmc(Cpu cpu) {
        if (hostSmc == null) {
            platform.smcToEl3(cpu);
            return;
        }
        try {
            hostSmc.handle(cpu);
        } catch (Throwable t) {
            platform.panic(cpu, "handle_host_smc of SMC 0x%x threw %s".formatted(cpu.regs().get(0), PanicCause.describe(t)), t);
        }
    }

    /**
     * A CPU enters EL2 from the firmware ({@code __kvm_hyp_init_cpu}, then {@code
     * kvm_host_psci_cpu_entry}): the relay loads its saved EL2 registers, the trap controls modules
     * set among them, before anything runs there; a throwable is a hyp panic.
     */
    @Override
    public void cpuEntry(Cpu cpu, boolean cpuOn) {
        if (hostSmc == null) {
            return;
        }
        try {
            hostSmc.cpuEntry(cpu, cpuOn);
        } catch (Throwable t) {
            platform.panic(cpu, "kvm_host_psci_cpu_entry threw %s".formatted(PanicCause.describe(t)), t);
        }
    }

    private void handleStatic(long id, Cpu cpu, UserPtRegs regs) {
        HostHcallHandler handler = staticHcalls.get(id);
        // hcall_min: once the host is deprivileged, the early (privileged) calls are gone.
        if (handler == null || (deprivilege.isPrivilegedBandClosed() && id < HostHcall.minAfterFinalize())) {
            regs.set(0, Smccc.RET_NOT_SUPPORTED);
            return;
        }
        regs.set(0, Smccc.RET_SUCCESS);
        handler.handle(cpu, regs);
    }
}
