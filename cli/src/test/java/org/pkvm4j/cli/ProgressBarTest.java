package org.pkvm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final StringWriter err = new StringWriter();

    @Test
    void offDrawsNothing() {
        ProgressBar bar = new ProgressBar(new PrintWriter(err), false);
        bar.update(1, 2);
        bar.update(2, 2);
        bar.finish();
        assertEquals("", err.toString());
    }

    @Test
    void onRedrawsInPlaceAndEndsTheLine() {
        ProgressBar bar = new ProgressBar(new PrintWriter(err), true);
        bar.update(1, 4);
        bar.update(4, 4);
        bar.finish();
        String s = err.toString();
        assertTrue(s.startsWith("\r[#######.......................] 1/4 boots, "), s);
        assertTrue(s.contains("\r[##############################] 4/4 boots, "), "the last update is always drawn: " + s);
        assertTrue(s.endsWith(" boots/s" + System.lineSeparator()), s);
    }
}
