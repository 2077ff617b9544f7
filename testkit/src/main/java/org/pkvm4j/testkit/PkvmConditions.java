package org.pkvm4j.testkit;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.pkvm4j.host.log.KernelLog;

/**
 * Conditions for Awaitility ({@code await().until(...)} takes a {@code Callable<Boolean>}), for
 * work another thread does on a device: {@code await().atMost(5, SECONDS).until(logHasLine(log, "loaded"))}.
 * Each is a fresh snapshot of the log on every poll; none blocks.
 */
public final class PkvmConditions {
    private PkvmConditions() {
    }

    /** True once a kernel log line matches {@code regex} (found anywhere in the line's text). */
    public static Callable<Boolean> logHasLine(KernelLog log, String regex) {
        Objects.requireNonNull(log, "log");
        Pattern p = Pattern.compile(regex);
        return () -> KernelLogAssert.firstMatch(log.records(), p, 0, null) >= 0;
    }

    /**
     * True once a line from the device's UART (the hyp console: EL2 {@code puts}, a serial driver)
     * matches {@code regex}.
     */
    public static Callable<Boolean> uartHasLine(KernelLog log, String regex) {
        Objects.requireNonNull(log, "log");
        Pattern p = Pattern.compile(regex);
        return () -> KernelLogAssert.firstMatch(log.records(), p, 0, KernelLog.Origin.EL2) >= 0;
    }

    /** The number of kernel log lines matching {@code regex}, for {@code await().until(count, n -> n >= 3)}. */
    public static Callable<Long> logLineCount(KernelLog log, String regex) {
        Objects.requireNonNull(log, "log");
        Pattern p = Pattern.compile(regex);
        return () -> log.records().stream().filter(r -> p.matcher(r.text()).find()).count();
    }
}
