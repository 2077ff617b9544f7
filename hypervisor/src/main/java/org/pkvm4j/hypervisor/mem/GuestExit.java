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
    private long x3;
    private long x4;
    private long x5;

    /** The value for x2 the last world switch on this CPU left. */
    public long x2() {
        return x2;
    }

    void set(long value) {
        x2 = value;
    }

    /** x2..x5 of a guest SMC's exit: the guest's x0..x3. */
    public void set(long x2, long x3, long x4, long x5) {
        this.x2 = x2;
        this.x3 = x3;
        this.x4 = x4;
        this.x5 = x5;
    }

    /** x3 of the last guest SMC's exit (the guest's x1). */
    public long x3() {
        return x3;
    }

    /** x4 of the last guest SMC's exit (the guest's x2). */
    public long x4() {
        return x4;
    }

    /** x5 of the last guest SMC's exit (the guest's x3). */
    public long x5() {
        return x5;
    }
}
