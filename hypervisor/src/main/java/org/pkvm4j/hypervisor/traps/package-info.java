/**
 * Host traps pKVM hands to modules and the EL2 services that go with them: the per-CPU trap
 * controls ({@code HCR_EL2}, {@code HFGWTR_EL2}), the default trap handler, the panic notifier, the
 * SError mask, hyp tracing and the EL2 heap.
 */
package org.pkvm4j.hypervisor.traps;
