package org.pkvm4j.machine;

import java.util.List;

/**
 * What boot code tells the hypervisor it starts: the values the kernel passes to {@code __pkvm_init}.
 *
 * @param protectedMode {@code kvm-arm.mode=protected}: pKVM is on and the host will be deprivileged
 * @param faults faults the hypervisor injects into its own module hypercalls (a debug build's
 *     fault injection, armed here while the host is privileged); empty for a production boot
 */
public record HypOptions(boolean protectedMode, List<HypFault> faults) {

    /** Copies the list. */
    public HypOptions {
        faults = List.copyOf(faults);
    }

    /** Options without fault injection. */
    public HypOptions(boolean protectedMode) {
        this(protectedMode, List.of());
    }
}
