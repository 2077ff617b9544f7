package org.pkvm4j.hypervisor.mem;

/**
 * The second result of a guest world switch (x2: the faulting IPA, the loaded value, the guest's
 * x0 or the punted function), as {@code vcpu->arch.fault} carries it in the kernel.
 *
 * <p>One per CPU, made at init and reused by every trap on that CPU (a CPU runs one trap at a
 * time), so the guest hypercalls allocate nothing.
 */
public final class GuestExit {
    private long x2;

    /** The value for x2 the last world switch on this CPU left. */
    public long x2() {
        return x2;
    }

    void set(long value) {
        x2 = value;
    }
}
