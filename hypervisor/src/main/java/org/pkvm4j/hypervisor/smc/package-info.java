/**
 * The host's SMCs and the guests' SMCs at EL2: the chain a host SMC takes (PSCI relay, FF-A proxy,
 * module handlers, the firmware), the per-CPU EL2 state that survives power-down, and the protected
 * guests' SMC handlers and TRNG.
 *
 * <p>Kernel counterpart: {@code handle_host_smc} in {@code nvhe/hyp-main.c}, {@code
 * nvhe/psci-relay.c}, {@code nvhe/ffa.c}, the SMC parts of {@code nvhe/modules.c}, and the guest SMC
 * handling of {@code nvhe/pkvm.c}.
 */
package org.pkvm4j.hypervisor.smc;
