/**
 * The pkvm4j Maven plugin: the {@code pkvm-module} packaging and its goals ({@code modinfo}, {@code
 * compile-hyp}, {@code test-setup}, {@code modpost}, {@code check}), which build a vendor module
 * file from one Maven project with its EL1 sources in {@code src/main/java} and its EL2 sources in
 * {@code src/hyp/java}, check it as {@code modprobe} would, and run its tests on a device.
 */
package org.pkvm4j.maven;
