/**
 * What EL1 module code sees: its {@link org.pkvm4j.api.el1.KernelModule} entry point, its
 * {@link org.pkvm4j.api.el1.ModuleContext}, and the {@link org.pkvm4j.api.el1.Pkvm} calls that load
 * an EL2 part, register its handlers and call them through HVCs.
 *
 * <p>EL1 code never holds an EL2 class or object: it names EL2 symbols, which the loader links, and
 * reaches EL2 only by trapping.
 */
package org.pkvm4j.api.el1;
