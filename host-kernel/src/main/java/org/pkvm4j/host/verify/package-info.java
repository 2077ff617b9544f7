/**
 * EL2 code verification: what the classes of a vendor module's EL2 part may reference, checked
 * from their class files before any of them is defined.
 *
 * <p>Kernel counterpart: the hypervisor's own build rules ({@code arch/arm64/kvm/hyp/nvhe/Makefile},
 * {@code hyp/Makefile.module}): EL2 objects link only against the hypervisor's module interface,
 * and {@code EXPORT_SYMBOL_GPL} is redefined as an error at EL2. In Java terms an EL2 module may
 * reference only {@code org.pkvm4j.api} and an allowlist of {@code java.base}, and nothing that
 * blocks, starts threads, takes sleeping locks, reflects, loads classes or does I/O. The rules are
 * data ({@link org.pkvm4j.host.verify.El2Policy}, bundled as {@code el2-policy.conf}); {@link
 * org.pkvm4j.host.verify.El2Verifier} applies them; the module loader refuses a module with any
 * {@link org.pkvm4j.host.verify.Violation} ({@code EPERM}) and {@code pkvm verify} lists them offline.
 */
package org.pkvm4j.host.verify;
