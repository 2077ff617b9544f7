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
    }

    /** Scenario: a class whose name holds a newline cannot forge a second line of pkvm verify's output. */
    @Test
    void aViolationQuotesTheClassFilesNamesPrintably() {
        Violation v = new Violation("acme.X\nEPERM: forged", "m()V", 3, 0, "calls", "java.lang.Thread.start\r()V", "reason");
        assertEquals("acme.X\\u000aEPERM: forged.m()V [bci 3] calls java.lang.Thread.start\\u000d()V: reason", v.toString());
    }
}
