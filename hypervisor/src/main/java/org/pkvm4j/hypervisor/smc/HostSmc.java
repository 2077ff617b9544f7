package org.pkvm4j.hypervisor.smc;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;

/**
 * The chain a host SMC takes at EL2: the PSCI relay, the FF-A proxy, the modules' SMC handlers in
 * registration order, and, if none of them answered, the firmware at EL3.
 *
 * <p>Kernel counterpart: {@code handle_host_smc} in {@code nvhe/hyp-main.c} (ACK 6.12: {@code
 * kvm_host_psci_handler}, {@code kvm_host_ffa_handler}, {@code kvm_host_scmi_handler} (not modelled),
 * the module handlers, {@code __kvm_hyp_host_forward_smc}).
 */
public final class HostSmc {
    private final HypPlatform platform;
    private final PsciRelay psci;
    private final FfaProxy ffa;
    private final SmcRegistry registry;

    /** The chain over these stages. */
    public HostSmc(HypPlatform platform, PsciRelay psci, FfaProxy ffa, SmcRegistry registry) {
        this.platform = platform;
        this.psci = psci;
        this.ffa = ffa;
        this.registry = registry;
    }

    /** Handles the host's SMC on {@code cpu}: results in its registers. */
    public void handle(Cpu cpu) {
        UserPtRegs regs = cpu.regs();
        if (psci.handle(cpu, regs) || ffa.handle(cpu, regs) || registry.dispatchHostSmc(regs)) {
            return;
        }
        platform.smcToEl3(cpu);
    }

    /** A CPU enters EL2 from the firmware ({@link PsciRelay#cpuEntry}). */
    public void cpuEntry(Cpu cpu, boolean cpuOn) {
        psci.cpuEntry(cpu, cpuOn);
    }
}
