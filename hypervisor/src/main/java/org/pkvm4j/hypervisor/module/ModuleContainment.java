package org.pkvm4j.hypervisor.module;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.pkvm4j.api.RegsGate;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Code;
import org.pkvm4j.machine.HypPlatform;

/**
 * What keeps one EL2 module's code on a CPU inside a trap: its register views, one per CPU, the
 * identity its running code is published under, the reports of its attempts to act off-CPU, and the
 * switch that stops all its code.
 *
 * <p>Kernel counterpart: none; C code that keeps a {@code regs} pointer or calls the ops from
 * somewhere else simply corrupts the hypervisor (ARCHITECTURE.md §1.6). Made once, when the module
 * is loaded: the trap allocates nothing.
 */
final class ModuleContainment {
    /** Refused register-view uses reported at most this often after the first (machine clock). */
    private static final long REPORT_INTERVAL_NANOS = 1_000_000_000L;

    private final String name;
    private final HypPlatform platform;
    private final HypConsole console;
    private final RegsGate[] gates;
    private final RegsGate[] guestGates;
    private final AtomicLong regsRefused = new AtomicLong();
    private final AtomicLong regsReportedAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicBoolean opsReported = new AtomicBoolean();
    // Set once its init failed or it was unloaded: its ops view changes nothing from then on.
    private volatile boolean dead;
    // Sets the module's preemption flag (see org.pkvm4j.host.preempt); null if it has none.
    private volatile Runnable stop;

    ModuleContainment(String name, HypPlatform platform, HypConsole console) {
        this.name = name;
        this.platform = platform;
        this.console = console;
        this.gates = new RegsGate[platform.nrCpus()];
        this.guestGates = new RegsGate[platform.nrCpus()];
        Runnable refused = new RegsRefused(this);
        for (int i = 0; i < gates.length; i++) {
            gates[i] = new RegsGate(platform.cpu(i).regs(), refused);
            guestGates[i] = new RegsGate(platform.guestRegs(platform.cpu(i)), refused);
        }
    }

    /**
     * What a closed register view calls: {@link #regsRefused()}. A named class, not a method
     * reference: this class is defined anew in every boot's hyp layer, and a method reference would
     * link its call site (spinning a class) again on every boot.
     */
    private record RegsRefused(ModuleContainment module) implements Runnable {
        @Override
        public void run() {
            module.regsRefused();
        }
    }

    /** The module's name. */
    String name() {
        return name;
    }

    /** Its register views, indexed by CPU number. */
    RegsGate[] gates() {
        return gates;
    }

    /** Its register view on {@code cpu}. */
    RegsGate gate(Cpu cpu) {
        return gates[cpu.id()];
    }

    /** Its view of the guest registers {@code cpu} runs a vCPU with (guest SMC handlers). */
    RegsGate guestGate(Cpu cpu) {
        return guestGates[cpu.id()];
    }

    /** A published name for code {@code symbol} of this module. */
    El2Code code(String symbol) {
        return new El2Code(this, name, symbol);
    }

    /** Whether the calling thread runs this module's code on a CPU inside a trap, and it is alive. */
    boolean onCpu() {
        return !dead && platform.runsEl2Of(this);
    }

    /** From now on its ops change nothing (a failed init, an unload). */
    void kill() {
        dead = true;
        // Its code runs no more, and a CPU keeps the last code it ran (Cpu.enterEl2), hence this
        // object: the switch must not keep the module's classes, and so its layer, reachable.
        stop = null;
    }

    /** How the module's code is stopped: set its preemption flag. */
    void stopWith(Runnable setFlag) {
        this.stop = setFlag;
    }

    /** Sets the module's preemption flag, if it has one: every poll in its code throws from now on. */
    boolean stop() {
        Runnable s = stop;
        if (s == null) {
            return false;
        }
        s.run();
        return true;
    }

    /** How many uses of its register views were refused. */
    long regsRefusals() {
        return regsRefused.get();
    }

    /**
     * A use of a closed register view, on the thread that tried: counted, and reported at its first
     * time and then at most once a second. Never throws.
     */
    private void regsRefused() {
        long n = regsRefused.incrementAndGet();
        long now = platform.uptimeNanos();
        long last = regsReportedAt.get();
        if ((last == Long.MIN_VALUE || now - last >= REPORT_INTERVAL_NANOS) && regsReportedAt.compareAndSet(last, now)) {
            console.report("pKVM: %s: register view used off its trap (another thread, or after its handler returned): ignored, %d so far"
                    .formatted(name, n));
        }
    }

    /** A {@code ModuleOps} call off-CPU or after the module died: counted, reported once. */
    void opsRefused(String op) {
        if (opsReported.compareAndSet(false, true)) {
            console.report("pKVM: %s: ModuleOps.%s called %s: refused (reported once per module)"
                    .formatted(name, op, dead ? "after the module was unloaded or its init failed" : "outside a trap running its code"));
        }
    }
}
