package org.pkvm4j.api;

/**
 * A CPU context as the android14-5.15 ABI hands it to module handlers.
 *
 * <p>Kernel counterpart: {@code struct kvm_cpu_context}, read with {@code cpu_reg(ctxt, n)}. It
 * wraps the same {@link UserPtRegs} that android14-6.1 and later handlers receive directly, so both
 * ABIs see one register file. Only valid during the call that received it: the context a handler
 * receives wraps a gated view of the CPU's registers ({@link RegsGate}), dead once it returns.
 *
 * @since 0.1
 */
public final class KvmCpuContext {
    private final UserPtRegs regs;

    /** A context around a fresh register file. */
    public KvmCpuContext() {
        this(new UserPtRegs());
    }

    /**
     * A context around {@code regs}.
     *
     * @param regs the general-purpose registers this context wraps
     */
    public KvmCpuContext(UserPtRegs regs) {
        this.regs = regs;
    }

    /**
     * The general-purpose registers ({@code ctxt->regs}).
     *
     * @return the general-purpose registers
     */
    public UserPtRegs regs() {
        return regs;
    }

    /**
     * {@code cpu_reg(ctxt, n)} as an rvalue.
     *
     * @param n the register number, 0..30
     * @return the value of x{@code n}
     */
    public long reg(int n) {
        return regs.get(n);
    }

    /**
     * {@code cpu_reg(ctxt, n) = value}.
     *
     * @param n the register number, 0..30
     * @param value the new value
     */
    public void setReg(int n, long value) {
        regs.set(n, value);
    }

    @Override
    public String toString() {
        return "KvmCpuContext" + regs.toString().substring("UserPtRegs".length());
    }
}
