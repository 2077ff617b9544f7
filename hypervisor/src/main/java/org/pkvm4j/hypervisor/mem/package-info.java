/**
 * Page ownership at EL2 ({@code nvhe/mem_protect.c}): the host/hyp transitions, their checks and
 * locks, and the host stage-2 fault handler. Internal to the hyp layer.
 */
package org.pkvm4j.hypervisor.mem;
