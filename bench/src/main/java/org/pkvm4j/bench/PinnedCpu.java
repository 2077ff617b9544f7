package org.pkvm4j.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.pkvm4j.machine.CpuPin;

/**
 * A benchmark thread that pins a CPU for the whole trial ({@code preempt_disable()} around all of
 * its hypercalls, as a vCPU thread stays on its CPU): every trap then skips the per-trap claim.
 */
@State(Scope.Thread)
public class PinnedCpu {
    private CpuPin pin;

    /** Pins a CPU of the device to this benchmark thread. */
    @Setup(Level.Trial)
    public void pin(Device d) {
        pin = d.kernel.machine().pinCurrentThread();
    }

    /** Gives it back. */
    @TearDown(Level.Trial)
    public void unpin() {
        pin.close();
    }
}
