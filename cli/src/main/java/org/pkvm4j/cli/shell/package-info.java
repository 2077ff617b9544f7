/**
 * A shell on a booted device: the workload commands of {@code pkvm boot --script FILE} ({@code
 * lsmod}, {@code dmesg}, {@code modprobe}, {@code rmmod}, {@code modinfo}, {@code hvc}, {@code
 * ioctl}, {@code echo}, {@code expect}), parsed whole before the device boots and run one by one.
 * It writes only to the {@link java.io.PrintWriter} it is given.
 */
package org.pkvm4j.cli.shell;
