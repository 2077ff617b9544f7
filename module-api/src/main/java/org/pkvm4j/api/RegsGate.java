package org.pkvm4j.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The gate of one register view: a {@link UserPtRegs} (and its {@link KvmCpuContext}) that shares
 * a CPU's live registers but reaches them only while the gate is open, on the thread that opened
 * it.
 *
 * <p>Kernel counterpart: none; in C a handler's {@code regs} pointer is simply dead once the handler
 * returns, and a module that kept it would corrupt the next trap. The hypervisor makes one gate per
 * (module, CPU) when it loads the module, opens it on the trapping thread right before it calls
 * that module's code with the view and closes it right after. Whoever holds the gate opens and
 * closes it; the view does not lead back to its gate, so code that only holds a view cannot open
 * it. Any use of a closed view (a read answers 0, a write changes nothing) is counted and passed to
 * the gate's listener, on the thread that tried.
 *
 * <p>Vendor code has no use for this class.
 *
 * @since 0.1
 */
public final class RegsGate {
    private static final VarHandle REFUSED;

    static {
        try {
            REFUSED = MethodHandles.lookup().findVarHandle(RegsGate.class, "refusals", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final UserPtRegs view;
    private final KvmCpuContext context;
    private final Runnable onRefused;
    @SuppressWarnings("unused") // through REFUSED
    private volatile long refusals;

    /**
     * A closed gate and its view of {@code file}'s registers.
     *
     * @param file the register file the view shares (a CPU's host context), not itself a view
     * @param onRefused run on the refusing thread after each refused use of the view; must not throw
     * @throws IllegalArgumentException if {@code file} is itself a view
     */
    public RegsGate(UserPtRegs file, Runnable onRefused) {
        Objects.requireNonNull(file, "file");
        if (file.isView()) {
            throw new IllegalArgumentException("a register view cannot be the file of another view");
        }
        this.onRefused = Objects.requireNonNull(onRefused, "onRefused");
        this.view = new UserPtRegs(file, this);
        this.context = new KvmCpuContext(view);
    }

    /**
     * The gated view ({@code user_pt_regs} handlers).
     *
     * @return the view
     */
    public UserPtRegs regs() {
        return view;
    }

    /**
     * The gated view as a context ({@code kvm_cpu_context} handlers).
     *
     * @return the view as a context
     */
    public KvmCpuContext context() {
        return context;
    }

    /**
     * Opens the view for the calling thread until {@link #close()}.
     *
     * @return the view, open
     */
    public UserPtRegs open() {
        // Written only by the thread it opens for (open, close): any other thread reads 0 or another
        // thread's id, never its own (ids are never reused), so the view's test needs no ordering.
        UserPtRegs v = view;
        v.openFor = Thread.currentThread().threadId();
        return v;
    }

    /**
     * Whether the view is open for the calling thread (the hypervisor's test: is this thread in that trap).
     *
     * @return whether it is open for this thread
     */
    public boolean isOpenHere() {
        return view.openFor == Thread.currentThread().threadId();
    }

    /** Closes the view: from now on every use of it is refused. */
    public void close() {
        view.openFor = 0;
    }

    /**
     * How many uses of the view were refused so far.
     *
     * @return the count of refused uses
     */
    public long refusals() {
        return (long) REFUSED.getVolatile(this);
    }

    void refused() {
        REFUSED.getAndAdd(this, 1L);
        try {
            onRefused.run();
        } catch (RuntimeException e) {
            // The listener reports; a use of a closed view never throws into whoever made it.
        }
    }
}
