package org.pkvm4j.machine;

/**
 * What boot code tells the hypervisor it starts: the values the kernel passes to {@code __pkvm_init}.
 *
 * @param protectedMode {@code kvm-arm.mode=protected}: pKVM is on and the host will be deprivileged
 */
public record HypOptions(boolean protectedMode) {
}
