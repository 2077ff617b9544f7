package org.pkvm4j.host.log;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.ParameterizedMessage;

/**
 * One device's kernel log: the {@code printk} ring that {@code dmesg} reads.
 *
 * <p>Each message is formatted once, stamped with the machine's monotonic clock, kept here and
 * forwarded to the caller's Log4j logger, so a device's log can be printed, asserted on in tests and
 * still reach the configured appenders. The host's own classes log through a {@link HostLogger},
 * which with Log4j's output off never starts Log4j: the line is then formatted here, as Log4j would. Lines from the hyp console are marked {@link Origin#EL2} and
 * go to the logger {@code org.pkvm4j.el2.console}. The ring holds the newest {@value #CAPACITY}
 * records and counts what it dropped, so a dropped line is never silent.
 */
public final class KernelLog {
    /** How many records the ring keeps. */
    public static final int CAPACITY = 16_384;

    private static final HostLogger EL2_CONSOLE = HostLogger.named("org.pkvm4j.el2.console");

    private final LongSupplier clock;
    private final ArrayDeque<Record> ring = new ArrayDeque<>();
    private long dropped;
    // Sequence numbers, as printk's: how many records were ever kept, and where dmesg -c cleared.
    private long nextSeq;
    private long clearSeq;

    /** Where a line came from. */
    public enum Origin {
        /** The host kernel or an EL1 module. */
        EL1,
        /** The hypervisor console (UART). */
        EL2
    }

    /**
     * One line of the log.
     *
     * @param uptimeNanos the machine's monotonic clock when it was printed
     * @param level its level
     * @param origin which exception level printed it
     * @param text the formatted message
     */
    public record Record(long uptimeNanos, Level level, Origin origin, String text) {
        /** The line as {@code dmesg} prints it: {@code [    1.234567] text}, EL2 lines tagged. */
        public String format() {
            long micros = uptimeNanos / 1_000;
            return "[%5d.%06d] %s%s".formatted(micros / 1_000_000, micros % 1_000_000,
                    origin == Origin.EL2 ? "EL2: " : "", text);
        }
    }

    /** A log stamped by {@code clock} (nanoseconds since power-on). */
    public KernelLog(LongSupplier clock) {
        this.clock = clock;
    }

    /** {@code pr_info}: logs to {@code log} and keeps the line. */
    public void info(Logger log, String format, Object... args) {
        print(log, Level.INFO, format, args);
    }

    /** {@code pr_warn}. */
    public void warn(Logger log, String format, Object... args) {
        print(log, Level.WARN, format, args);
    }

    /** {@code pr_err}; a Throwable as the last argument is passed to Log4j, as Log4j expects. */
    public void error(Logger log, String format, Object... args) {
        print(log, Level.ERROR, format, args);
    }

    /** {@code pr_debug}: forwarded to Log4j at DEBUG, kept only when that level is enabled. */
    public void debug(Logger log, String format, Object... args) {
        if (log.isDebugEnabled()) {
            print(log, Level.DEBUG, format, args);
        }
    }

    /** {@code pr_info} from a host class: as {@link #info(Logger, String, Object...)}, Log4j started only if its output is on. */
    public void info(HostLogger log, String format, Object... args) {
        print(log.log4j(), Level.INFO, format, args);
    }

    /** {@code pr_warn} from a host class. */
    public void warn(HostLogger log, String format, Object... args) {
        print(log.log4j(), Level.WARN, format, args);
    }

    /** {@code pr_err} from a host class; a Throwable as the last argument is passed to Log4j. */
    public void error(HostLogger log, String format, Object... args) {
        print(log.log4j(), Level.ERROR, format, args);
    }

    /** {@code pr_debug} from a host class: kept only when Log4j's output is on and at DEBUG. */
    public void debug(HostLogger log, String format, Object... args) {
        Logger l = log.log4j();
        if (l != null) {
            debug(l, format, args);
        }
    }

    /** A complete line from the hyp console. */
    public void hypConsole(String line) {
        keep(Level.INFO, Origin.EL2, line);
        Logger l = EL2_CONSOLE.log4j();
        if (l != null) {
            l.info(line);
        }
    }

    /** A snapshot of the ring, oldest first. */
    public synchronized List<Record> records() {
        return List.copyOf(ring);
    }

    /** The ring as {@code dmesg} prints it. */
    public List<String> lines() {
        return records().stream().map(Record::format).toList();
    }

    /**
     * The records printed since the last {@link #readClear()}, oldest first: what {@code dmesg}
     * shows. The ring itself is untouched, so {@link #records()} still has everything.
     */
    public synchronized List<Record> sinceClear() {
        long first = nextSeq - ring.size();
        return ring.stream().skip(Math.max(0, clearSeq - first)).toList();
    }

    /**
     * {@code dmesg -c}: returns {@link #sinceClear()} and moves the clear mark past it.
     *
     * <p>Kernel counterpart: {@code syslog(SYSLOG_ACTION_READ_CLEAR)}, which moves {@code clear_seq}.
     */
    public synchronized List<Record> readClear() {
        List<Record> read = sinceClear();
        clearSeq = nextSeq;
        return read;
    }

    /** How many old records the ring overwrote. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Keeps the line and hands it to {@code log}, or, when that is null (Log4j's output off), only keeps it. */
    private void print(Logger log, Level level, String format, Object... args) {
        String text = log == null ? LogFormat.format(format, args) : null;
        if (text != null) {
            keep(level, Origin.EL1, text);
            return;
        }
        Message message = new ParameterizedMessage(format, args);
        keep(level, Origin.EL1, message.getFormattedMessage());
        if (log != null) {
            log.log(level, message, message.getThrowable());
        }
    }

    private synchronized void keep(Level level, Origin origin, String text) {
        if (ring.size() == CAPACITY) {
            ring.pollFirst();
            dropped++;
        }
        ring.add(new Record(clock.getAsLong(), level, origin, text));
        nextSeq++;
    }
}
