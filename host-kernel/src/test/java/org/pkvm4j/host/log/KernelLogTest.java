package org.pkvm4j.host.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;

class KernelLogTest {
    private static final Logger LOG = LogManager.getLogger(KernelLogTest.class);

    private final AtomicLong clock = new AtomicLong();
    private final KernelLog log = new KernelLog(clock::get);

    @Test
    void linesAreStampedWithTheClockInDmesgFormat() {
        clock.set(1_234_000);
        log.info(LOG, "hello {}", "world");
        clock.set(12_345_678_999L);
        log.warn(LOG, "late");
        assertEquals(List.of("[    0.001234] hello world", "[   12.345678] late"), log.lines());
    }

    @Test
    void readClearMovesTheClearMarkButKeepsTheRing() {
        log.info(LOG, "one");
        log.info(LOG, "two");
        assertEquals(List.of("one", "two"), log.readClear().stream().map(KernelLog.Record::text).toList());
        assertEquals(List.of(), log.sinceClear());
        log.info(LOG, "three");
        assertEquals(List.of("three"), log.sinceClear().stream().map(KernelLog.Record::text).toList());
        assertEquals(3, log.records().size(), "dmesg -c does not erase what tests and reports read");
    }

    @Test
    void theClearMarkSurvivesTheRingWrapping() {
        for (int i = 0; i < KernelLog.CAPACITY + 10; i++) {
            log.info(LOG, "line {}", i);
        }
        log.readClear();
        log.info(LOG, "after");
        assertEquals(List.of("after"), log.sinceClear().stream().map(KernelLog.Record::text).toList());
        assertEquals(KernelLog.CAPACITY, log.records().size());
    }

    @Test
    void el2LinesAreMarked() {
        clock.set(2_000_000_000L);
        log.hypConsole("pKVM: hello");
        KernelLog.Record r = log.records().get(0);
        assertEquals(KernelLog.Origin.EL2, r.origin());
        assertEquals(Level.INFO, r.level());
        assertEquals("[    2.000000] EL2: pKVM: hello", r.format());
    }

    @Test
    void recordsKeepLevelAndOrigin() {
        log.info(LOG, "i");
        // A trailing Throwable goes to Log4j, not into the text (WARN keeps the build output quiet).
        log.warn(LOG, "w {}", 1, new IllegalStateException("not in the text"));
        log.error(LOG, "e");
        List<KernelLog.Record> records = log.records();
        assertEquals(List.of(Level.INFO, Level.WARN, Level.ERROR), records.stream().map(KernelLog.Record::level).toList());
        assertEquals(List.of("i", "w 1", "e"), records.stream().map(KernelLog.Record::text).toList());
        assertEquals(KernelLog.Origin.EL1, records.get(0).origin());
    }

    @Test
    void theRingKeepsTheNewestCapacityRecordsAndCountsTheRest() {
        for (int i = 0; i < KernelLog.CAPACITY + 3; i++) {
            clock.set(i);
            log.hypConsole("line " + i);
        }
        List<KernelLog.Record> records = log.records();
        assertEquals(KernelLog.CAPACITY, records.size());
        assertEquals(3, log.dropped());
        assertEquals("line 3", records.get(0).text());
        assertEquals("line " + (KernelLog.CAPACITY + 2), records.get(records.size() - 1).text());
    }

    @Test
    void nothingIsDroppedBelowCapacity() {
        log.info(LOG, "one");
        assertEquals(0, log.dropped());
    }

    @Test
    void recordsIsASnapshot() {
        log.info(LOG, "one");
        List<KernelLog.Record> snapshot = log.records();
        log.info(LOG, "two");
        assertEquals(1, snapshot.size());
        assertThrows(UnsupportedOperationException.class, () -> snapshot.add(null));
    }
}
