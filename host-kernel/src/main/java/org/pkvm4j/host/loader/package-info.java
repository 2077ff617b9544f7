/**
 * The vendor module loader ({@code modprobe} and {@code arch/arm64/kvm/pkvm.c}): reads a module
 * file, enforces the descriptor policy before any class is defined, gives each part its own layer,
 * runs the EL1 init with a {@link org.pkvm4j.api.el1.Pkvm} bound to that module, and undoes
 * everything when a step fails.
 */
package org.pkvm4j.host.loader;
