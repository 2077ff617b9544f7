package org.pkvm4j.testkit;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Assertions;
import org.pkvm4j.host.log.KernelLog;

/**
 * Fluent checks of a kernel log. Patterns are regular expressions found anywhere in a line's text
 * (as {@code grep -E}), without the timestamp; EL2 (hyp console) lines carry no {@code EL2:} tag
 * in their text. A failure quotes {@code dmesg}.
 */
public final class KernelLogAssert {
    private final KernelLog log;

    KernelLogAssert(KernelLog log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    /** Some line matches {@code regex}. */
    public KernelLogAssert containsLineMatching(String regex) {
        if (firstMatch(log.records(), Pattern.compile(regex), 0, null) < 0) {
            Assertions.fail("expected a kernel log line matching /" + regex + "/, found none\n" + Dmesg.tail(log));
        }
        return this;
    }

    /** Some line from the hyp console (the UART) matches {@code regex}. */
    public KernelLogAssert containsEl2LineMatching(String regex) {
        if (firstMatch(log.records(), Pattern.compile(regex), 0, KernelLog.Origin.EL2) < 0) {
            Assertions.fail("expected a hyp console (EL2) line matching /" + regex + "/, found none\n"
                    + Dmesg.excerpt(log, "dmesg, EL2 lines", r -> r.origin() == KernelLog.Origin.EL2));
        }
        return this;
    }

    /** No line matches {@code regex}. */
    public KernelLogAssert doesNotContainLineMatching(String regex) {
        Pattern p = Pattern.compile(regex);
        if (firstMatch(log.records(), p, 0, null) >= 0) {
            Assertions.fail("expected no kernel log line matching /" + regex + "/, but found\n"
                    + Dmesg.excerpt(log, "dmesg, matching lines", r -> p.matcher(r.text()).find()));
        }
        return this;
    }

    /** Lines match the patterns in this order (other lines may come between). */
    public KernelLogAssert containsLinesInOrder(String... regexes) {
        List<KernelLog.Record> records = log.records();
        int at = 0;
        for (int i = 0; i < regexes.length; i++) {
            int found = firstMatch(records, Pattern.compile(regexes[i]), at, null);
            if (found < 0) {
                boolean earlier = firstMatch(records, Pattern.compile(regexes[i]), 0, null) >= 0;
                Assertions.fail("expected kernel log lines matching, in order, " + List.of(regexes) + "; "
                        + (i == 0 ? "" : "the first " + i + " matched up to line " + at + ", ")
                        + "/" + regexes[i] + "/ " + (earlier ? "only matches before that" : "matches no line") + "\n"
                        + (i == 0 ? Dmesg.tail(log) : Dmesg.from(log, Math.max(0, at - 1))));
            }
            at = found + 1;
        }
        return this;
    }

    /** No line was printed at level ERROR ({@code pr_err}, a failed load, a hyp panic). */
    public KernelLogAssert hasNoErrorLines() {
        if (log.records().stream().anyMatch(r -> r.level().isMoreSpecificThan(Level.ERROR))) {
            Assertions.fail("expected no error lines in the kernel log, but found some\n"
                    + Dmesg.excerpt(log, "dmesg, errors", r -> r.level().isMoreSpecificThan(Level.ERROR)));
        }
        return this;
    }

    static int firstMatch(List<KernelLog.Record> records, Pattern p, int from, KernelLog.Origin origin) {
        for (int i = from; i < records.size(); i++) {
            KernelLog.Record r = records.get(i);
            if ((origin == null || r.origin() == origin) && p.matcher(r.text()).find()) {
                return i;
            }
        }
        return -1;
    }
}
