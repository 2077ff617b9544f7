/**
 * The kernel log ({@code dmesg}): every host message and every line of the hyp console, with the
 * machine's monotonic timestamp, also forwarded to Log4j.
 */
package org.pkvm4j.host.log;
