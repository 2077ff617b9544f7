package org.pkvm4j.host.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.pkvm4j.host.verify.Violation;

/** Names from a module file never carry a control character into a message. */
class PrintableTest {
    @Test
    void controlCharactersAreEscapedAndOtherTextKept() {
        String plain = "acme.x.Foo$1 \u00e9";
        assertSame(plain, Printable.of(plain), "nothing to escape: the same string");
        assertEquals("a\\u000a[    0.1] forged\\u001b[2J", Printable.of("a\n[    0.1] forged\u001b[2J"));
        assertEquals("a\\u2028b\\u2029", Printable.of("a\u2028b\u2029"), "Unicode line and paragraph separators too");
    }

    /** Scenario: a class whose name holds a newline cannot forge a second line of pkvm verify's output. */
    @Test
    void aViolationQuotesTheClassFilesNamesPrintably() {
        Violation v = new Violation("acme.X\nEPERM: forged", "m()V", 3, 0, "calls", "java.lang.Thread.start\r()V", "reason");
        assertEquals("acme.X\\u000aEPERM: forged.m()V [bci 3] calls java.lang.Thread.start\\u000d()V: reason", v.toString());
    }

    // Found by fuzzing (docs/fuzzing.md): text parsers quoted lines with control characters in them.
    @Test
    void aTextFileMayHoldTabsAndLineBreaksOnly() {
        assertEquals(-1, Printable.firstControl("a\tb\r\nc\n"));
        assertEquals(3, Printable.firstControl("ab\n\u0000"));
        assertEquals(1, Printable.firstControl("a\rb"), "a lone CR returns the cursor: refused");
        assertEquals(0, Printable.firstControl("\u2028"));
        assertEquals(0, Printable.firstControl("\u0085"));
        String text = "one\ntwo\nth\u001bree";
        int at = Printable.firstControl(text);
        assertEquals(3, Printable.lineOf(text, at));
        assertEquals(1, Printable.lineOf(text, 3));
        assertEquals(2, Printable.lineOf(text, 4));
        assertEquals("control character U+001B at column 3", Printable.describeControl(text, at));
    }

    @Test
    void aParsersReasonIsEscapedAndBounded() {
        assertEquals("attribute Sourc\\u0000 too big", Printable.reason(new IllegalArgumentException("attribute Sourc\u0000 too big")));
        String reason = Printable.reason(new IllegalArgumentException("x".repeat(10_000)));
        assertEquals(Printable.MAX_REASON + 3, reason.length());
        assertEquals("null", Printable.reason(new IllegalArgumentException()));
    }
}
