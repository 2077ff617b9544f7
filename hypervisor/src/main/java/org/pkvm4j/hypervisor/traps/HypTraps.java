package org.pkvm4j.hypervisor.traps;

import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.smc.HypCpuParams;
import org.pkvm4j.machine.HypPlatform;

/**
 * The trap and EL2-service state the module ops and the trap entry share, made once at {@code
 * __pkvm_init}: the per-CPU EL2 registers (the trap controls among them, saved across suspend), the
 * default trap handler, the panic notifier, the SError pair, the heap and hyp tracing.
 *
 * @param params each CPU's EL2 registers ({@code kvm_nvhe_init_params}), the trap controls among
 *     them, restored on every entry from the firmware
 * @param trapHandlers the default trap handler slot
 * @param panicNotifiers the panic notifier slot
 * @param serror the SError pair slot
 * @param heap the EL2 heap
 * @param tracing hyp tracing
 */
public record HypTraps(HypCpuParams params, DefaultTrapHandlers trapHandlers, HypPanicNotifiers panicNotifiers,
        SerrorControl serror, HypHeap heap, HypTracing tracing) {

    /**
     * All of it for {@code platform}, the heap in {@code va}, tracing into the platform's trace unit
     * (if on); every CPU's EL2 registers are loaded with their boot values now.
     */
    public static HypTraps create(HypPlatform platform, HypConsole console, HypVaSpace va) {
        HypHeap heap = new HypHeap(va, platform.nrCpus());
        return new HypTraps(new HypCpuParams(platform), new DefaultTrapHandlers(),
                new HypPanicNotifiers(platform, console), new SerrorControl(platform), heap,
                new HypTracing(platform.handlerTrace(), heap, va, platform.nrCpus()));
    }
}
