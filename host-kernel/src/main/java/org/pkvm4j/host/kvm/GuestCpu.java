package org.pkvm4j.host.kvm;

import org.pkvm4j.api.el1.SmcccRes;

/**
 * What guest code can do on its vCPU: loads and stores by IPA through its stage-2, and HVCs.
 * A first touch of an unmapped page exits to the host, which maps it and re-runs the access, so the
 * guest never sees it.
 *
 * @see KvmVcpu#run
 */
public interface GuestCpu {
    /** The vCPU id. */
    int id();

    /**
     * Loads 8 bytes at guest physical address {@code ipa} (8-byte aligned).
     *
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} if the page was poisoned (force-reclaimed
     *     by the host) or is in no memslot: {@code KVM_RUN} fails
     */
    long load64(long ipa);

    /** Stores 8 bytes at {@code ipa}; the same failures as {@link #load64}. */
    void store64(long ipa, long value);

    /**
     * {@code HVC #0} with x0 = {@code functionId}, x1..x3 = {@code a1..a3}; returns the guest's
     * x0..x3 afterwards. The hypervisor answers {@code FEATURES}, {@code HYP_MEMINFO}, {@code
     * MEM_SHARE} and {@code MEM_UNSHARE}; the host answers the rest with {@code
     * SMCCC_RET_NOT_SUPPORTED}.
     */
    SmcccRes hvc(long functionId, long a1, long a2, long a3);

    /**
     * {@code SMC #0} with x0 = {@code functionId}, x1..x3 = {@code a1..a3}; returns the guest's
     * x0..x3 afterwards. A protected guest's SMC is answered at EL2 (the SMCCC TRNG calls from the
     * module TRNG back end, then the module guest SMC handlers, else {@code SMCCC_RET_NOT_SUPPORTED});
     * a non-protected guest's goes to the host, which answers {@code SMCCC_RET_NOT_SUPPORTED}.
     *
     * @param functionId x0
     * @param a1 x1
     * @param a2 x2
     * @param a3 x3
     * @return x0..x3
     */
    SmcccRes smc(long functionId, long a1, long a2, long a3);
}
