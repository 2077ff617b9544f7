package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr, redrawn in place with {@code \r}: boots done, total, boots per
 * second. Drawn at most every 100 ms, and not at all when off.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final boolean on;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    ProgressBar(PrintWriter err, boolean on) {
        this.err = err;
        this.on = on;
    }

    /** Whether the JVM's console is an interactive terminal. */
    static boolean isTerminal() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Redraws the bar for {@code done} of {@code total}. */
    void update(int done, int total) {
        if (!on) {
            return;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        int filled = total == 0 ? WIDTH : (int) ((long) done * WIDTH / total);
        double seconds = (now - start) / 1e9;
        err.printf(Locale.ROOT, "\r[%s%s] %d/%d boots, %.1f boots/s", "#".repeat(filled), ".".repeat(WIDTH - filled), done, total,
                seconds > 0 ? done / seconds : 0.0);
        err.flush();
        drawn = true;
    }

    /** Ends the bar's line. */
    void finish() {
        if (drawn) {
            err.println();
            err.flush();
        }
    }
}
