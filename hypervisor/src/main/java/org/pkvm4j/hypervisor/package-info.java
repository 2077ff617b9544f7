/**
 * The hypervisor's trap entry and host hypercall dispatch ({@code nvhe/hyp-main.c}).
 *
 * <p>Internal to the hyp layer: nothing here is exported. Subpackages mirror the nVHE files:
 * {@code module} ({@code modules.c}), {@code mem} ({@code mem_protect.c}), {@code console} (the hyp serial console), {@code setup}
 * ({@code setup.c}: init and deprivilege).
 */
package org.pkvm4j.hypervisor;
