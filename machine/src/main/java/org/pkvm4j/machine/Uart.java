package org.pkvm4j.machine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A line-buffered serial port: the hypervisor console.
 *
 * <p>Kernel counterpart: the PL011 UART that {@code pkvm-pl011} drives from EL2. Characters are
 * collected into lines; each complete line goes to the attached sink (the host shows them as the
 * hyp console). Lines written before a sink is attached are kept and delivered on attach, so no
 * line is lost.
 */
public final class Uart {
    private final StringBuilder line = new StringBuilder();
    private final List<String> pending = new ArrayList<>();
    private Consumer<String> sink;
    private long bytesWritten;

    Uart() {
    }

    /** Writes one character to the transmit FIFO. */
    public synchronized void putc(char c) {
        bytesWritten++;
        if (c == '\n') {
            String complete = line.toString();
            line.setLength(0);
            if (sink == null) {
                pending.add(complete);
            } else {
                sink.accept(complete);
            }
        } else if (c != '\r') {
            line.append(c);
        }
    }

    /** Connects the receiving end; earlier lines are delivered first, in order. */
    public synchronized void attach(Consumer<String> lineSink) {
        sink = Objects.requireNonNull(lineSink, "lineSink");
        for (String l : pending) {
            sink.accept(l);
        }
        pending.clear();
    }

    /** How many characters were written since power-on. */
    public synchronized long bytesWritten() {
        return bytesWritten;
    }
}
