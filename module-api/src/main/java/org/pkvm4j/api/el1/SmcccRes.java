package org.pkvm4j.api.el1;

/**
 * The four result registers of an SMCCC call.
 *
 * <p>Kernel counterpart: {@code struct arm_smccc_res}.
 *
 * @param a0 x0: the SMCCC status
 * @param a1 x1: the first result, or a negative errno
 * @param a2 x2: the second result
 * @param a3 x3: the third result
 * @since 0.1
 */
public record SmcccRes(long a0, long a1, long a2, long a3) {
}
