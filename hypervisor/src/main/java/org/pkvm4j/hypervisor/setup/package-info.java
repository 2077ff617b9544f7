/** Hypervisor init ({@code nvhe/setup.c}): builds the EL2 runtime on the platform boot code hands over. */
package org.pkvm4j.hypervisor.setup;
