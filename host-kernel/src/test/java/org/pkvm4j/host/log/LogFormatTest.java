package org.pkvm4j.host.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;

/** The kernel's own {@code {}} formatting gives Log4j's text, or leaves the message to Log4j. */
class LogFormatTest {
    private static final Object THROWING = new Object() {
        @Override
        public String toString() {
            throw new IllegalStateException("no text");
        }
    };

    private static final List<Object[]> CASES = List.of(
            new Object[] {"plain"},
            new Object[] {"plain {}"},
            new Object[] {"{}", "one"},
            new Object[] {"{}: loaded {}{}", "bench0", "EL2 at 0x1000, ", "HVCs [1]"},
            new Object[] {"Booting pkvm4j on {} CPUs, {} MiB", 4, 256L},
            new Object[] {"failed: {}", Errno.ENOEXEC},
            new Object[] {"too few {} {} {}", "a"},
            new Object[] {"too many {}", "a", "b"},
            new Object[] {"null {}", (Object) null},
            new Object[] {"{{}} and {} and }{", "x", "y"},
            new Object[] {"panic on CPU{}: {}\n{}", 1, "reason", "detail"},
            new Object[] {"thrown {}", "a", new IllegalStateException("boom")},
            new Object[] {"consumed {} {}", "a", new IllegalStateException("boom")},
            new Object[] {"char {} bool {} double {}", 'c', true, 1.5},
            new Object[] {"{} text with {} braces", "{}", "{x}"});

    @Test
    void textIsLog4jsForTheKernelsArguments() {
        for (Object[] c : CASES) {
            String pattern = (String) c[0];
            Object[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            ParameterizedMessage m = new ParameterizedMessage(pattern, args);
            assertEquals(m.getFormattedMessage(), LogFormat.format(pattern, args), pattern);
        }
    }

    @Test
    void whatLog4jFormatsItsOwnWayIsLeftToLog4j() {
        assertNull(LogFormat.format("escaped \\{} {}", new Object[] {"a"}));
        assertNull(LogFormat.format("array {}", new Object[] {new int[] {1, 2}}));
        assertNull(LogFormat.format("list {}", new Object[] {new ArrayList<>(List.of("a"))}));
        assertNull(LogFormat.format("map {}", new Object[] {Map.of("k", "v")}));
        assertNull(LogFormat.format("date {}", new Object[] {new java.util.Date(0)}));
        assertNull(LogFormat.format("throws {}", new Object[] {THROWING}));
    }

    @Test
    void aHostLoggerWithLog4jOffKeepsLog4jsLinesWithoutStartingIt() {
        KernelLog off = new KernelLog(new AtomicLong()::get);
        KernelLog on = new KernelLog(new AtomicLong()::get);
        HostLogger quiet = new HostLogger("test.quiet", false);
        HostLogger loud = new HostLogger("test.loud", true);
        assertNull(quiet.log4j());
        for (Object[] c : CASES) {
            Object[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            off.warn(quiet, (String) c[0], args);
            on.warn(loud, (String) c[0], args);
        }
        off.info(quiet, "array {}", new Object[] {new int[] {1, 2}});
        on.info(loud, "array {}", new Object[] {new int[] {1, 2}});
        off.debug(quiet, "debug {}", "dropped: DEBUG is not enabled when Log4j's output is off");
        assertEquals(on.lines(), off.lines());
        assertEquals("array [1, 2]", off.records().getLast().text());
    }
}
