package org.pkvm4j.host.kvm;

/**
 * Guest code: what a vCPU executes. pkvm4j has no instruction set; a guest is Java that reaches its
 * memory and the hypervisor only through the {@link GuestCpu} it is given.
 */
@FunctionalInterface
public interface GuestProgram {
    /** Runs on the thread that called {@link KvmVcpu#run}; returning is the guest's exit to the VMM. */
    void run(GuestCpu cpu);
}
