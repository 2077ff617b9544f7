/**
 * Vendor modules at EL2 ({@code nvhe/modules.c}): the module table and the loading hypercalls,
 * symbol linking, the dynamic hypercall table and the {@code pkvm_module_ops} implementation.
 */
package org.pkvm4j.hypervisor.module;
