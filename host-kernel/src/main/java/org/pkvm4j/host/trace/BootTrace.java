package org.pkvm4j.host.trace;

import org.pkvm4j.machine.Machine;

/**
 * What the boot and the module loader tell a trace; {@link #OFF} ignores everything.
 *
 * <p>Times are {@link System#nanoTime()} values; the trace turns them into its own time base.
 */
public interface BootTrace {
    /** No trace. */
    BootTrace OFF = new BootTrace() {
    };

    /**
     * The machine exists and the hypervisor is not installed yet: the moment to switch its trace unit
     * on, while boot still holds the whole machine.
     */
    default void machineBuilt(Machine machine) {
    }

    /** Boot step {@code number} ran from {@code startNanos} for {@code nanos}. */
    default void step(int number, String name, long startNanos, long nanos) {
    }

    /**
     * One {@code modprobe}: {@code result} is {@code ok}, or the refusal ({@code ENOENT}, its error
     * code and the message).
     */
    default void moduleLoad(String module, long startNanos, long nanos, String result, String code) {
    }
}
