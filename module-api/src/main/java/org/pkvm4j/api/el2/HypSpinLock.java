package org.pkvm4j.api.el2;

/**
 * A spinlock for EL2 module state shared between CPUs: the one way EL2 code excludes other CPUs.
 *
 * <p>Kernel counterpart: {@code hyp_spinlock_t} with {@code hyp_spin_lock} and {@code
 * hyp_spin_unlock} ({@code nvhe/spinlock.h}), which modules such as Pixel's SMC filter use for their
 * own state. EL2 is not preemptible and has no scheduler, so a waiter spins; it never sleeps.
 * Monitors ({@code synchronized}, {@code Object.wait}) and {@code java.util.concurrent.locks} park
 * their thread and are refused in EL2 code. Obtain one from {@link ModuleOps#newSpinLock()}, usually
 * in the EL2 init; the hypervisor implements it, vendor code only calls it.
 *
 * <p>Not reentrant, as the kernel's: taking a lock this CPU already holds, or releasing one it does
 * not hold, is the kernel's {@code BUG()}, a hyp panic. Hold it briefly and release it in a {@code
 * finally} block; nothing that waits for another CPU may run while it is held.
 *
 * @since 0.1
 */
public interface HypSpinLock {
    /**
     * Takes the lock, spinning until it is free.
     *
     * <p>Kernel counterpart: {@code hyp_spin_lock}.
     */
    void lock();

    /**
     * Takes the lock if it is free, without spinning.
     *
     * <p>Kernel counterpart: {@code arch_spin_trylock} (the kernel's hyp code spins only; this is the
     * try variant of the same lock).
     *
     * @return whether this CPU now holds the lock
     */
    boolean tryLock();

    /**
     * Releases the lock, which this CPU holds.
     *
     * <p>Kernel counterpart: {@code hyp_spin_unlock}.
     */
    void unlock();

    /**
     * Whether some CPU holds the lock now; a snapshot, for assertions.
     *
     * <p>Kernel counterpart: {@code hyp_spin_is_locked} ({@code hyp_assert_lock_held} uses it).
     *
     * @return whether the lock is held
     */
    boolean isLocked();
}
