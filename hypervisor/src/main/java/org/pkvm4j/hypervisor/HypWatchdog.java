package org.pkvm4j.hypervisor;

import java.util.concurrent.TimeUnit;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.module.El2Memory;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Code;
import org.pkvm4j.machine.HandlerTrace;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.LockupListener;

/**
 * What the hypervisor does with the lockup detector's findings: a warning for vendor code that ran
 * over its budget, a hyp panic ({@code PKVM-HYP-LOCKUP}) for vendor code that did not return.
 *
 * <p>Kernel counterpart: the hard-lockup detector's {@code watchdog_hardlockup_check} report and
 * {@code hardlockup_panic}. The panic stops every EL2 module's code (the panic listener {@code
 * PkvmImage} installs sets their preemption flags), so the stuck trap unwinds and returns to the host,
 * which then sees the panic. Runs on the detector's thread: it reads only names and the stack, never
 * a vendor object.
 */
public final class HypWatchdog implements LockupListener {
    /** The stable code the panic report starts with (host-kernel's {@code ErrorCode.HYP_LOCKUP}). */
    public static final String LOCKUP_CODE = "PKVM-HYP-LOCKUP";

    private final HypPlatform platform;
    private final HypConsole console;
    private final HandlerTrace trace;
    private final long boundMillis;
    private final long budgetMillis;
    private final long allocBytes;

    /**
     * Reports to {@code console} (and {@code trace}, if not null) with the limits it was armed with;
     * {@code allocBytes} is the EL2 allocation budget of one trap (0: none).
     */
    public HypWatchdog(HypPlatform platform, HypConsole console, HandlerTrace trace, long boundMillis, long budgetMillis,
            long allocBytes) {
        this.platform = platform;
        this.console = console;
        this.trace = trace;
        this.boundMillis = boundMillis;
        this.budgetMillis = budgetMillis;
        this.allocBytes = allocBytes;
    }

    /** Arms the machine's lockup detector with this listener. */
    public void arm() {
        platform.armLockupDetector(TimeUnit.MILLISECONDS.toNanos(boundMillis), TimeUnit.MILLISECONDS.toNanos(budgetMillis),
                allocBytes, this);
    }

    @Override
    public void overAllocation(Cpu cpu, El2Code trap, El2Code running, long bytes) {
        String where = running == trap ? "" : " (running %s of module %s)".formatted(running.symbol(), running.module());
        platform.panicWithDetail(cpu, El2Memory.report(trap.module(), trap.symbol(), cpu, allocBytes,
                "allocated %d bytes through the JDK in one trap%s".formatted(bytes, where)), "");
    }

    @Override
    public void overBudget(Cpu cpu, El2Code trap, long nanos) {
        console.report("pKVM: WARNING: CPU%d: %s of module %s ran at least %d ms, over the %d ms budget (pkvm.hyp_budget_ms)"
                .formatted(cpu.id(), trap.symbol(), trap.module(), TimeUnit.NANOSECONDS.toMillis(nanos), budgetMillis));
        if (trace != null) {
            trace.overBudget(cpu, trap.module(), trap.symbol(), nanos);
        }
    }

    @Override
    public void lockup(Cpu cpu, El2Code trap, El2Code running, long nanos, StackTraceElement[] stack) {
        String where = running == trap ? "" : " (running %s of module %s)".formatted(running.symbol(), running.module());
        String reason = "%s: %s of module %s did not return on CPU%d within %d ms (pkvm.hyp_lockup_ms)%s; running for %d ms"
                .formatted(LOCKUP_CODE, trap.symbol(), trap.module(), cpu.id(), boundMillis, where,
                        TimeUnit.NANOSECONDS.toMillis(nanos));
        StringBuilder detail = new StringBuilder("stack of the trapped thread:\n");
        for (StackTraceElement e : stack) {
            detail.append("\tat ").append(e).append('\n');
        }
        platform.panicWithDetail(cpu, reason, detail.toString());
    }
}
