/**
 * The {@code pkvm} command line ({@code boot}, {@code modinfo}). The only package that writes to
 * the standard streams.
 */
package org.pkvm4j.cli;
