package org.pkvm4j.testkit;

import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.pkvm4j.host.log.KernelLog;

/**
 * The part of a kernel log an assertion message quotes: the lines about a subject plus every
 * warning and error, or the newest lines, never more than {@value #MAX_LINES}.
 */
final class Dmesg {
    static final int MAX_LINES = 40;

    private Dmesg() {
    }

    /** The lines mentioning {@code subject} (a module name, {@code -} and {@code _} alike) and every warning or error. */
    static String about(KernelLog log, String subject) {
        Pattern p = Pattern.compile(Pattern.quote(subject.replace('-', '_')) + "|" + Pattern.quote(subject.replace('_', '-')));
        return excerpt(log, "dmesg, lines about " + subject + " and every warning or error",
                r -> p.matcher(r.text()).find() || r.level().isMoreSpecificThan(Level.WARN));
    }

    /** The warning and error lines. */
    static String problems(KernelLog log) {
        return excerpt(log, "dmesg, warnings and errors", r -> r.level().isMoreSpecificThan(Level.WARN));
    }

    /** The newest lines. */
    static String tail(KernelLog log) {
        return excerpt(log, "dmesg", r -> true);
    }

    /** The lines from index {@code from} on. */
    static String from(KernelLog log, int from) {
        List<KernelLog.Record> records = log.records();
        return render("dmesg from line " + (from + 1), records.subList(Math.min(from, records.size()), records.size()),
                r -> true);
    }

    static String excerpt(KernelLog log, String title, Predicate<KernelLog.Record> keep) {
        return render(title, log.records(), keep);
    }

    private static String render(String title, List<KernelLog.Record> records, Predicate<KernelLog.Record> keep) {
        List<KernelLog.Record> kept = records.stream().filter(keep).toList();
        StringBuilder out = new StringBuilder(title).append(':');
        if (kept.isEmpty()) {
            return out.append(" (no such line; ").append(records.size()).append(" lines in all)").toString();
        }
        int skip = Math.max(0, kept.size() - MAX_LINES);
        if (skip > 0) {
            out.append("\n  ... ").append(skip).append(" earlier line(s)");
        }
        for (KernelLog.Record r : kept.subList(skip, kept.size())) {
            out.append("\n  ").append(r.format());
        }
        return out.toString();
    }
}
