package acme.percpu_counter.hyp;

import java.util.concurrent.atomic.AtomicLongArray;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * One counter per CPU in EL2 memory. Handlers take a {@code struct kvm_cpu_context} (android14-5.15):
 * the dispatcher presets x0 = SUCCESS and they write results with {@code cpu_reg(ctx, n)}.
 */
public final class PercpuCounterHyp {
    private static ModuleOps ops;
    // Each CPU writes only its own slot; other CPUs only read it (sum), so no lock is needed.
    private static AtomicLongArray counters;

    private PercpuCounterHyp() {
    }

    /** Sizes the counters by {@code nr_cpus}. */
    @El2Symbol("percpu_counter_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        counters = new AtomicLongArray(moduleOps.nrCpus());
        moduleOps.puts("percpu_counter: " + moduleOps.nrCpus() + " per-CPU counters");
    }

    /** inc(): x1 = this CPU's new count, x2 = the CPU number. */
    @El2Symbol("percpu_counter_inc")
    public static void inc(KvmCpuContext ctx) {
        int cpu = ops.smpProcessorId();
        long value = counters.get(cpu) + 1;
        counters.lazySet(cpu, value);
        ctx.setReg(1, value);
        ctx.setReg(2, cpu);
    }

    /** read(x1 = cpu): x1 = that CPU's count, or -EINVAL for a CPU that does not exist. */
    @El2Symbol("percpu_counter_read")
    public static void read(KvmCpuContext ctx) {
        long cpu = ctx.reg(1);
        ctx.setReg(1, cpu >= 0 && cpu < counters.length() ? counters.get((int) cpu) : Errno.EINVAL.negated());
    }

    /** sum(): x1 = the total over every CPU. */
    @El2Symbol("percpu_counter_sum")
    public static void sum(KvmCpuContext ctx) {
        long total = 0;
        for (int i = 0; i < counters.length(); i++) {
            total += counters.get(i);
        }
        ctx.setReg(1, total);
    }
}
