package org.pkvm4j.machine;

/**
 * What the lockup detector tells the hypervisor: a trap that ran over its budget and finished, or a
 * trap still running past the lockup bound.
 *
 * <p>Both run on the detector's thread, never on the trapped one: they must not call vendor code
 * (nor a vendor object's {@code toString}) and must not block.
 */
public interface LockupListener {
    /**
     * A trap ran vendor code for at least {@code nanos} (over the budget) and has returned.
     *
     * @param trap the outermost code of that trap
     */
    void overBudget(Cpu cpu, El2Code trap, long nanos);

    /**
     * A trap has been running vendor code for {@code nanos}, past the lockup bound.
     *
     * @param trap the outermost code of the trap
     * @param running the innermost code running when it was sampled (the same as {@code trap}, or
     *     code it called, such as a serial driver)
     * @param stack the stack of the trapped thread when it was sampled (data, read by the detector)
     */
    void lockup(Cpu cpu, El2Code trap, El2Code running, long nanos, StackTraceElement[] stack);

    /**
     * A trap still running vendor code was seen to have allocated {@code bytes} on its thread since the
     * detector first saw it, over the machine's EL2 allocation budget.
     *
     * @param trap the outermost code of the trap
     * @param running the innermost code running when it was sampled
     */
    void overAllocation(Cpu cpu, El2Code trap, El2Code running, long bytes);
}
