package org.pkvm4j.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UartTest {
    private final Uart uart = new Uart();
    private final List<String> lines = new ArrayList<>();

    private void write(String s) {
        for (char c : s.toCharArray()) {
            uart.putc(c);
        }
    }

    @Test
    void deliversCompleteLinesOnlyAndDropsCarriageReturns() {
        uart.attach(lines::add);
        write("hello\r\nwor");
        assertEquals(List.of("hello"), lines);
        write("ld\n\n");
        assertEquals(List.of("hello", "world", ""), lines);
    }

    @Test
    void linesWrittenBeforeAttachAreDeliveredFirstInOrder() {
        write("one\ntwo\nthr");
        uart.attach(lines::add);
        assertEquals(List.of("one", "two"), lines);
        write("ee\n");
        assertEquals(List.of("one", "two", "three"), lines);
    }

    @Test
    void pendingLinesAreDeliveredOnlyOnce() {
        write("early\n");
        uart.attach(lines::add);
        List<String> second = new ArrayList<>();
        uart.attach(second::add);
        write("late\n");
        assertEquals(List.of("early"), lines);
        assertEquals(List.of("late"), second);
    }

    @Test
    void countsEveryCharacterWritten() {
        write("ab\r\n");
        assertEquals(4, uart.bytesWritten());
    }

    @Test
    void refusesANullSink() {
        assertThrows(NullPointerException.class, () -> uart.attach(null));
    }
}
