/**
 * The host kernel's top level: {@link org.pkvm4j.host.HostKernel} (a booted device), the numbered
 * boot sequence, the security state and the boot report.
 */
package org.pkvm4j.host;
