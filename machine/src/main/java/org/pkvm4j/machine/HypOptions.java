package org.pkvm4j.machine;

import java.util.List;

/**
 * What boot code tells the hypervisor it starts: the values the kernel passes to {@code __pkvm_init}.
 *
 * @param protectedMode {@code kvm-arm.mode=protected}: pKVM is on and the host will be deprivileged
 * @param faults faults the hypervisor injects into its own module hypercalls (a debug build's
 *     fault injection, armed here while the host is privileged); empty for a production boot
 * @param lockupMillis vendor EL2 code still running after this long is a hyp panic ({@code
 *     pkvm.hyp_lockup_ms=}); 0 switches the lockup detector off
 * @param budgetMillis vendor EL2 code that returns after running this long is reported ({@code
 *     pkvm.hyp_budget_ms=})
 * @param allocBytes vendor EL2 code that allocates more than this in one trap is a hyp panic ({@code
 *     pkvm.hyp_alloc_mb=}); 0 switches the EL2 allocation budget off
 * @param kmi the KMI generation the device boots as ({@code pkvm.kmi=}): which {@code ModuleOps}
 *     members EL2 code may call
 */
public record HypOptions(boolean protectedMode, List<HypFault> faults, long lockupMillis, long budgetMillis,
        long allocBytes, HypKmi kmi) {
    /** The default lockup bound: a few seconds, far beyond any handler and any EL2 init. */
    public static final long DEFAULT_LOCKUP_MILLIS = 3_000;
    /** The default handler budget. */
    public static final long DEFAULT_BUDGET_MILLIS = 500;
    /** The default EL2 allocation budget of one trap: 64 MiB, far beyond any handler and any EL2 init. */
    public static final long DEFAULT_ALLOC_BYTES = 64L << 20;

    /**
     * Copies the list.
     *
     * @throws IllegalArgumentException for a negative bound or allocation budget, or a budget below 1 ms
     */
    public HypOptions {
        faults = List.copyOf(faults);
        java.util.Objects.requireNonNull(kmi, "kmi");
        if (lockupMillis < 0 || budgetMillis < 1 || allocBytes < 0) {
            throw new IllegalArgumentException("lockup bound %d ms, budget %d ms, allocation budget %d bytes"
                    .formatted(lockupMillis, budgetMillis, allocBytes));
        }
    }

    /** Options without a KMI: every {@code ModuleOps} member is offered ({@link HypKmi#EVERY}). */
    public HypOptions(boolean protectedMode, List<HypFault> faults, long lockupMillis, long budgetMillis,
            long allocBytes) {
        this(protectedMode, faults, lockupMillis, budgetMillis, allocBytes, HypKmi.EVERY);
    }

    /** Options with the default EL2 allocation budget. */
    public HypOptions(boolean protectedMode, List<HypFault> faults, long lockupMillis, long budgetMillis) {
        this(protectedMode, faults, lockupMillis, budgetMillis, DEFAULT_ALLOC_BYTES);
    }

    /** Options with the default lockup bound, budget and allocation budget. */
    public HypOptions(boolean protectedMode, List<HypFault> faults) {
        this(protectedMode, faults, DEFAULT_LOCKUP_MILLIS, DEFAULT_BUDGET_MILLIS);
    }

    /** Options without fault injection. */
    public HypOptions(boolean protectedMode) {
        this(protectedMode, List.of());
    }
}
