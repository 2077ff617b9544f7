package org.pkvm4j.hypervisor;

import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.machine.Cpu;

/**
 * One static host hypercall: the {@code handle___X} wrapper that unpacks x1..x3 and writes its
 * result (a value or a negative errno) to x1. The dispatcher has already set x0 to success.
 */
@FunctionalInterface
public interface HostHcallHandler {
    /** Runs the call on {@code cpu} with the host's registers. */
    void handle(Cpu cpu, UserPtRegs regs);
}
