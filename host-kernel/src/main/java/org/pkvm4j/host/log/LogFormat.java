package org.pkvm4j.host.log;

import java.util.Collection;
import java.util.Date;
import java.util.Map;
import org.apache.logging.log4j.util.StringBuilderFormattable;

/**
 * Log4j's {@code {}} formatting ({@code ParameterizedMessage}) for the arguments the kernel logs,
 * without starting Log4j: its message classes read Log4j's properties and start its status logger
 * when first loaded. For anything this does not format exactly as Log4j does (a backslash in the
 * pattern, an array, collection, map, date or Log4j-formattable argument, a {@code toString} that throws) it returns
 * null, and the caller asks Log4j ({@code LogFormatTest} compares the two).
 */
final class LogFormat {
    private LogFormat() {
    }

    /**
     * The message, or null to let Log4j format it.
     *
     * @param pattern the pattern, {@code {}} for each argument
     * @param args the arguments; a Throwable last, beyond the placeholders, is the event's throwable
     */
    static String format(String pattern, Object[] args) {
        if (pattern == null || pattern.indexOf('\\') >= 0) {
            return null;
        }
        int n = args == null ? 0 : args.length;
        StringBuilder b = new StringBuilder(pattern.length() + 16 * n);
        int used = 0;
        int from = 0;
        for (int at = pattern.indexOf("{}"); at >= 0; at = pattern.indexOf("{}", from)) {
            b.append(pattern, from, at);
            from = at + 2;
            if (used < n) {
                Object arg = args[used++];
                if (arg == null) {
                    b.append("null");
                } else if (arg.getClass().isArray() || arg instanceof Collection || arg instanceof Map || arg instanceof Date
                        || arg instanceof StringBuilderFormattable) {
                    return null;
                } else {
                    try {
                        b.append(arg);
                    } catch (RuntimeException | Error e) {
                        return null;
                    }
                }
            } else {
                b.append("{}");
            }
        }
        return b.append(pattern, from, pattern.length()).toString();
    }
}
