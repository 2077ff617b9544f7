package org.pkvm4j.hypervisor.mem;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A spinlock for EL2's page-table locks and for EL2 modules' state: EL2 is not preemptible, so it
 * never sleeps on a lock.
 *
 * <p>Kernel counterpart: {@code hyp_spinlock_t} ({@code nvhe/spinlock.h}), taken by {@code
 * host_lock_component} and {@code hyp_lock_component}. A test-and-test-and-set lock: a waiter reads
 * until the lock looks free, then tries to take it, so waiters do not bounce its cache line. The
 * model's "CPUs" are host threads the OS can preempt, which real EL2 code never is: a waiter that
 * has spun for {@value #SPINS_BEFORE_YIELD} rounds yields its core, so a preempted holder gets to
 * run. Not reentrant, as the kernel's: taking it twice on one thread is a bug, raised at once
 * instead of spinning forever, and so is releasing a lock another thread holds: both are hyp panics
 * when EL2 module code does them ({@link org.pkvm4j.api.el2.ModuleOps#newSpinLock()} hands modules
 * this lock through the API's interface).
 *
 * <p>A module's lock also gives up when the machine hyp-panics: two modules' handlers waiting on
 * each other's locks spin in this hypervisor code, where no preemption point is, so the lockup
 * watchdog's panic alone would not end their traps. Each yield checks it instead.
 */
public final class HypSpinLock implements org.pkvm4j.api.el2.HypSpinLock {
    private static final int SPINS_BEFORE_YIELD = 1 << 10;

    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private final BooleanSupplier abandoned;

    /** A lock of the hypervisor's own, never abandoned. */
    public HypSpinLock() {
        this(Never.INSTANCE);
    }

    /** Never abandoned; a class rather than a lambda, whose class every boot's hyp layer would spin anew (ADR 0018). */
    private static final class Never implements BooleanSupplier {
        static final Never INSTANCE = new Never();

        @Override
        public boolean getAsBoolean() {
            return false;
        }
    }

    /** A lock whose waiters give up (throw) once {@code abandoned} is true: an EL2 module's lock. */
    public HypSpinLock(BooleanSupplier abandoned) {
        this.abandoned = abandoned;
    }

    /** {@code hyp_spin_lock}. */
    @Override
    public void lock() {
        Thread me = Thread.currentThread();
        if (owner.compareAndSet(null, me)) {
            return;
        }
        if (owner.getPlain() == me) {
            throw new IllegalStateException("BUG: hyp spinlock taken twice by " + me);
        }
        int spins = 0;
        while (true) {
            if (owner.getPlain() == null && owner.compareAndSet(null, me)) {
                return;
            }
            if (++spins == SPINS_BEFORE_YIELD) {
                spins = 0;
                if (abandoned.getAsBoolean()) {
                    throw new IllegalStateException("hyp spinlock wait abandoned: the hypervisor panicked");
                }
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** The try variant: takes the lock only if it is free; taking it twice is the same bug as for {@link #lock()}. */
    @Override
    public boolean tryLock() {
        Thread me = Thread.currentThread();
        if (owner.compareAndSet(null, me)) {
            return true;
        }
        if (owner.getPlain() == me) {
            throw new IllegalStateException("BUG: hyp spinlock taken twice by " + me);
        }
        return false;
    }

    /** {@code hyp_spin_is_locked}. */
    @Override
    public boolean isLocked() {
        return owner.get() != null;
    }

    /** {@code hyp_spin_unlock}. */
    @Override
    public void unlock() {
        if (owner.getPlain() != Thread.currentThread()) {
            throw new IllegalStateException("BUG: hyp spinlock released by " + Thread.currentThread() + ", not its holder");
        }
        owner.setRelease(null);
    }
}
