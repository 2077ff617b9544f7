package acme.smc_filter.hyp;

import org.pkvm4j.api.el2.HostSmcHandler;

/**
 * One allow-list entry: a masked SMC function id and what to do with it.
 *
 * <p>C counterpart: {@code struct smc_filter_entry { u32 smc_id; bool (*cb)(struct user_pt_regs *); }}
 * of pkvm-smc.
 *
 * @param smcId the function id with the calling-convention and SVE-hint bits cleared
 * @param callback decides the call at EL2; null to forward it to the firmware unchanged
 */
record AllowedSmc(long smcId, HostSmcHandler callback) {
}
