/**
 * The boot-order and fault explorer behind {@code pkvm explore}: boots a module set in every order
 * under every fault point, records each boot's {@link org.pkvm4j.cli.explore.BootOutcome} and
 * finds the outcomes that depend on the order.
 */
package org.pkvm4j.cli.explore;
