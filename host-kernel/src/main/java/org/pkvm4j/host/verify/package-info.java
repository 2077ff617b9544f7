/**
 * EL2 code verification: what the classes of a vendor module's EL2 part may reference, checked
 * from their class files before any of them is defined.
 *
 * <p>Kernel counterpart: the hypervisor's own build rules ({@code arch/arm64/kvm/hyp/nvhe/Makefile},
 * {@code hyp/Makefile.module}): EL2 objects link only against the hypervisor's module interface,
 * and {@code EXPORT_SYMBOL_GPL} is redefined as an error at EL2. In Java terms EL2 code may
 * reference only its own classes, the exported types of {@code org.pkvm4j.api}, and an allow-list of
 * JDK members that are pure computation, each reference resolved as the JVM resolves it. The list is
 * data ({@link org.pkvm4j.host.verify.El2Allowlist}, bundled as {@code el2-allowlist.conf}); {@link
 * org.pkvm4j.host.verify.El2Verifier} applies it; the module loader refuses a module with any
 * {@link org.pkvm4j.host.verify.Violation} ({@code EPERM}), {@code pkvm verify} lists them offline, and
 * the EL2 layer's class loader resolves JDK classes only through {@link
 * org.pkvm4j.host.verify.El2Allowlist#admitsClass}. See docs/security.md.
 */
package org.pkvm4j.host.verify;
