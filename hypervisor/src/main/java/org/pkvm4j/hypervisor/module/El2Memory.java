package org.pkvm4j.hypervisor.module;

import java.util.function.LongConsumer;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.PanicCause;

/**
 * One EL2 module's allocation budget: what the code the host inserted before each array allocation
 * of the module's own code charges, before the array exists.
 *
 * <p>Kernel counterpart: EL2 has no heap beyond the pages the host gave it ({@code hyp_alloc} fails
 * with {@code -ENOMEM} once its donations are used up); a module cannot take memory from the host by
 * asking for more. On the JVM, vendor EL2 objects live on the host's heap, so a trap that wants more
 * than {@code pkvm.hyp_alloc_mb} is a hyp panic ({@code PKVM-HYP-NOMEM}) before the allocation
 * happens: the host never sees an {@code OutOfMemoryError} for EL2's sake. What the module allocates
 * through the JDK is sampled by the lockup detector against the same budget ({@code HypWatchdog}).
 *
 * <p>{@link #accept} runs on the trapping thread, in vendor code's frame: it reads only names and
 * numbers, and after a panic the module's next preemption poll (right after the charge) unwinds it.
 */
public final class El2Memory implements LongConsumer {
    private final HypPlatform platform;
    private final ModuleContainment module;
    private final long budget;

    El2Memory(HypPlatform platform, ModuleContainment module, long budget) {
        this.platform = platform;
        this.module = module;
        this.budget = budget;
    }

    /**
     * Charges {@code bytes} to the trap running this module's code on the calling thread; past the
     * budget, or off any trap of this module, the machine panics (and the module's code is stopped).
     */
    @Override
    public void accept(long bytes) {
        long total = platform.chargeEl2Allocation(module, bytes);
        if (total < 0) {
            // Code of this module running where no trap of it runs: nothing may, so stop all of it.
            module.stop();
            return;
        }
        if (budget == 0 || total <= budget) {
            return;
        }
        Cpu cpu = platform.el2Cpu();
        platform.panic(cpu, report(module.name(), platform.runningEl2(cpu).symbol(), cpu, budget,
                "would allocate %d bytes in one trap (%d of them in the array it asked for)".formatted(total, bytes)), null);
    }

    /**
     * The first line of an allocation panic: {@code PKVM-HYP-NOMEM: <symbol> of module <m> on CPU<n>
     * <what>, over the <budget> bytes EL2 allocation budget (pkvm.hyp_alloc_mb)}.
     */
    public static String report(String module, String symbol, Cpu cpu, long budget, String what) {
        return "%s: %s of module %s on CPU%d %s, over the %d-byte EL2 allocation budget of one trap (pkvm.hyp_alloc_mb)"
                .formatted(PanicCause.OUT_OF_MEMORY, symbol, module, cpu.id(), what, budget);
    }
}
