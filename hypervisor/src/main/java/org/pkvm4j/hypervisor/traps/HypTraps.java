package org.pkvm4j.hypervisor.traps;

import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.machine.HypPlatform;

/**
 * The trap and EL2-service state the module ops and the trap entry share, made once at {@code
 * __pkvm_init}: the per-CPU saved trap controls, the default trap handler, the panic notifier, the
 * SError pair, the heap and hyp tracing.
 *
 * @param saved each CPU's trap controls, saved across suspend
 * @param trapHandlers the default trap handler slot
 * @param panicNotifiers the panic notifier slot
 * @param serror the SError pair slot
 * @param heap the EL2 heap
 * @param tracing hyp tracing
 */
public record HypTraps(TrapRegsSaved saved, DefaultTrapHandlers trapHandlers, HypPanicNotifiers panicNotifiers,
        SerrorControl serror, HypHeap heap, HypTracing tracing) {

    /** All of it for {@code platform}, the heap in {@code va}, tracing into the platform's trace unit (if on). */
    public static HypTraps create(HypPlatform platform, HypConsole console, HypVaSpace va) {
        HypHeap heap = new HypHeap(va, platform.nrCpus());
        return new HypTraps(new TrapRegsSaved(platform.nrCpus()), new DefaultTrapHandlers(),
                new HypPanicNotifiers(platform, console), new SerrorControl(platform), heap,
                new HypTracing(platform.handlerTrace(), heap, va, platform.nrCpus()));
    }
}
