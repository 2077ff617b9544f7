package org.pkvm4j.machine;

/**
 * The EL2 exception vector: where a CPU goes when the host traps.
 *
 * <p>Kernel counterpart: {@code __kvm_hyp_host_vector} and {@code handle_trap} in {@code
 * nvhe/hyp-main.c}. The hypervisor image returns one from {@link HypervisorImage#pkvmInit}; boot code
 * writes it to the machine once ({@code VBAR_EL2}), and from then on the only way from EL1 into EL2
 * is {@link Cpu#hvc()}.
 */
public interface El2Vector {
    /**
     * Handles an {@code HVC #0} from the host on {@code cpu}: the arguments and results are in
     * {@code cpu.hostContext()}. Runs to completion; must not throw (report failures in x0/x1, or
     * panic through the platform).
     */
    void hostHvc(Cpu cpu);
}
