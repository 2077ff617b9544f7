package org.pkvm4j.cli.explore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.cmdline.BootParam;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Boots a module set in every order under every fault point, in this JVM, one fresh device per
 * boot (nothing is shared between boots but what the JVM caches for immutable inputs).
 *
 * <p>The fault points of a module, for the kinds asked for: its EL1 init fails ({@link
 * #EL1_ERRNO}); its EL2 init fails ({@link #EL2_ERRNO}), if it has an EL2 part; each of
 * its {@code __pkvm_register_hcall}s fails with {@code ENOMEM}, one point per handler it registers;
 * it loads after deprivilege. Which modules have an EL2 part and how many handlers each registers
 * is learnt from the first boot, the fault-free one in the order given. The boots run fault by
 * fault, each fault under every order, so a bound ({@code maxBoots}) cuts whole faults off the
 * end rather than orders out of a fault.
 */
public final class Explorer {
    /** The errno an injected EL1 init failure returns: the hardware is not there. */
    public static final Errno EL1_ERRNO = Errno.ENODEV;
    /** The errno an injected EL2 init failure returns. */
    public static final Errno EL2_ERRNO = Errno.EINVAL;

    private final Path initramfs;
    private final Path hypervisor;
    private final List<String> modules;
    private final String extraCmdline;
    private final Set<BootFault.Kind> kinds;
    private final int maxBoots;

    /** What happened to one boot: an outcome, or the exception that escaped the boot. */
    public record Run(FaultPlan fault, List<String> order, Optional<BootOutcome> outcome, Optional<Throwable> error) {
        /** Copies the order. */
        public Run {
            order = List.copyOf(order);
        }
    }

    /** Reports progress: {@code done} of {@code total} boots. */
    @FunctionalInterface
    public interface Progress {
        /** Called after each boot. */
        void update(int done, int total);
    }

    /**
     * An explorer of {@code modules} from {@code initramfs}, booted with {@code hypervisor} and
     * {@code kvm-arm.mode=protected kvm-arm.protected_modules=<order> <extraCmdline>}.
     */
    public Explorer(Path initramfs, Path hypervisor, List<String> modules, String extraCmdline,
            Set<BootFault.Kind> kinds, int maxBoots) {
        this.initramfs = Objects.requireNonNull(initramfs, "initramfs");
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        this.modules = List.copyOf(modules);
        this.extraCmdline = Objects.requireNonNull(extraCmdline, "extraCmdline");
        this.kinds = kinds.isEmpty() ? EnumSet.noneOf(BootFault.Kind.class) : EnumSet.copyOf(kinds);
        if (this.modules.isEmpty()) {
            throw new IllegalArgumentException("no module to explore");
        }
        if (maxBoots < 1) {
            throw new IllegalArgumentException("--max-boots must be at least 1, was " + maxBoots);
        }
        this.maxBoots = maxBoots;
    }

    /** Runs the exploration. */
    public Exploration run(Progress progress) {
        List<List<String>> orders = Permutations.of(modules);
        long start = System.nanoTime();
        long cpuStart = threadCpuNanos();
        List<Run> runs = new ArrayList<>();
        List<LoadedModule> baselineModules = new ArrayList<>();
        runs.add(boot(FaultPlan.none(), orders.getFirst(), baselineModules));
        List<FaultPlan> faults = new ArrayList<>();
        faults.add(FaultPlan.none());
        faults.addAll(faultPoints(baselineModules));
        int planned = faults.size() * orders.size();
        int total = Math.min(planned, maxBoots);
        progress.update(1, total);
        outer:
        for (FaultPlan fault : faults) {
            for (List<String> order : orders) {
                if (fault.isEmpty() && order.equals(orders.getFirst())) {
                    continue;
                }
                if (runs.size() >= total) {
                    break outer;
                }
                runs.add(boot(fault, order, null));
                progress.update(runs.size(), total);
            }
        }
        long cpuEnd = threadCpuNanos();
        return new Exploration(modules, kinds, orders.size(), faults.size(), planned, runs, System.nanoTime() - start,
                cpuStart < 0 || cpuEnd < 0 ? 0 : cpuEnd - cpuStart);
    }

    private static long threadCpuNanos() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        return threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : -1;
    }

    private Run boot(FaultPlan fault, List<String> order, List<LoadedModule> lsmod) {
        String cmdline = "kvm-arm.mode=protected " + BootParam.PROTECTED_MODULES + "=" + String.join(",", order)
                + (extraCmdline.isBlank() ? "" : " " + extraCmdline);
        try {
            HostKernel kernel = HostKernel.boot(new BootConfig(cmdline, initramfs, hypervisor).withFaults(fault));
            if (lsmod != null) {
                lsmod.addAll(kernel.lsmod());
            }
            return new Run(fault, order, Optional.of(BootOutcome.probe(kernel)), Optional.empty());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Not an outcome: a bug in a module or in pkvm4j. Recorded, and the exploration goes on.
            return new Run(fault, order, Optional.empty(), Optional.of(e));
        }
    }

    /** The fault points, module by module in the order given, kind by kind. */
    private List<FaultPlan> faultPoints(List<LoadedModule> baseline) {
        // The fault-free boot's modules tell which have an EL2 part and how many handlers each registers.
        Map<String, LoadedModule> seen = new LinkedHashMap<>();
        for (LoadedModule m : baseline) {
            seen.put(m.name(), m);
        }
        List<FaultPlan> points = new ArrayList<>();
        for (String module : modules) {
            LoadedModule m = seen.get(module);
            boolean el2 = m == null || m.isPkvmModule();
            int hvcs = m == null ? 0 : m.hvcs().size();
            if (kinds.contains(BootFault.Kind.EL1_INIT)) {
                points.add(FaultPlan.of(new BootFault.El1InitFails(module, EL1_ERRNO)));
            }
            if (kinds.contains(BootFault.Kind.EL2_INIT) && el2) {
                points.add(FaultPlan.of(new BootFault.El2InitFails(module, EL2_ERRNO)));
            }
            if (kinds.contains(BootFault.Kind.REGISTER)) {
                for (int n = 1; n <= hvcs; n++) {
                    points.add(FaultPlan.of(new BootFault.HcallRegistrationFails(module, n)));
                }
            }
            if (kinds.contains(BootFault.Kind.LATE)) {
                points.add(FaultPlan.of(new BootFault.LoadsLate(module)));
            }
        }
        return points;
    }
}
