package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The panic report quotes a throwable as data: it never runs a module's reporting methods. */
class PanicCauseTest {
    private static final AtomicInteger CALLS = new AtomicInteger();

    /** What a hostile module throws: every reporting method is its own code. */
    static final class Hostile extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            CALLS.incrementAndGet();
            return "ran at report time";
        }

        @Override
        public String toString() {
            CALLS.incrementAndGet();
            return "ran at report time";
        }
    }

    @Test
    void aThrowableWhoseClassOverridesReportingIsNamedByItsClassOnly() {
        Hostile h = new Hostile();
        String line = PanicCause.describe(h);
        String trace = PanicCause.stackTrace(new IllegalStateException("wrapped", h));
        assertEquals(0, CALLS.get(), "no module code ran");
        assertTrue(line.startsWith(Hostile.class.getName() + " (its class overrides"), line);
        assertTrue(trace.startsWith("java.lang.IllegalStateException: wrapped\n\tat "), trace);
        assertTrue(trace.contains("Caused by: " + Hostile.class.getName() + " (its class overrides"), trace);
        assertFalse(trace.contains("ran at report time"), trace);
    }

    @Test
    void jdkThrowablesAreQuotedInFull() {
        assertEquals("java.lang.NoClassDefFoundError: java/io/File", PanicCause.describe(new NoClassDefFoundError("java/io/File")));
        String trace = PanicCause.stackTrace(new ArrayIndexOutOfBoundsException("Index 3"));
        assertTrue(trace.startsWith("java.lang.ArrayIndexOutOfBoundsException: Index 3\n\tat "), trace);
        assertTrue(trace.contains("PanicCauseTest.jdkThrowablesAreQuotedInFull"), trace);
    }
}
