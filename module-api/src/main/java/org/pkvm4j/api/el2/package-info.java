/**
 * What EL2 vendor code sees: the {@link org.pkvm4j.api.el2.ModuleOps} facade, the
 * {@link org.pkvm4j.api.el2.El2Symbol} annotation that names entry points, and the handler types of
 * both handler ABIs.
 *
 * <p>An EL2 module ({@code <vendor>.<name>.hyp}) requires {@code org.pkvm4j.api} and nothing else;
 * the loader refuses any other {@code requires} before it defines a class. EL2 code is not
 * preemptible: every call here runs to completion, and so must every handler.
 */
package org.pkvm4j.api.el2;
