package org.pkvm4j.cli.explore;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootImage;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.cmdline.BootParam;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Boots a module set in every order under every fault point, in this JVM, one fresh device per
 * boot (nothing is shared between boots but what the JVM caches for immutable inputs), on a
 * bounded pool of threads: boots are independent devices.
 *
 * <p>The fault points of a module, for the kinds asked for: its EL1 init fails ({@link
 * #EL1_ERRNO}); its EL2 init fails ({@link #EL2_ERRNO}), if it has an EL2 part; each of
 * its {@code __pkvm_register_hcall}s fails with {@code ENOMEM}, one point per handler it registers;
 * it loads after deprivilege. Which modules have an EL2 part, how many handlers each registers and
 * what each depends on is learnt from the first boot, the fault-free one in the order given.
 *
 * <p>The boot space is a sequence, fault by fault and each fault under every order ({@link
 * Permutations}); a bound ({@code maxBoots}) keeps its beginning. Its rows fall into classes that
 * cannot boot differently ({@link OrderReduction}); one boot stands for each class, unless {@code
 * exhaustive}. A {@link Shard} boots the classes it owns. Results are kept by their place in the
 * sequence, so the report is the same for any number of threads and any scheduling.
 */
public final class Explorer {
    /** The errno an injected EL1 init failure returns: the hardware is not there. */
    public static final Errno EL1_ERRNO = Errno.ENODEV;
    /** The errno an injected EL2 init failure returns. */
    public static final Errno EL2_ERRNO = Errno.EINVAL;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Path initramfs;
    private final Path hypervisor;
    private final Optional<BootImage> image;
    private final List<String> modules;
    private final String extraCmdline;
    private final Set<BootFault.Kind> kinds;
    private final int maxBoots;
    private int jobs = 1;
    private boolean exhaustive;
    private Shard shard = Shard.ALL;

    /**
     * What happened to one row of the boot space: an outcome, or the exception that escaped the
     * boot.
     *
     * @param index the row's place in the one-run sequence
     * @param fault the fault
     * @param order the order of {@code kvm-arm.protected_modules=}
     * @param outcome the outcome, if the boot came to one
     * @param error the exception that escaped the boot ({@code toString()}), if any
     * @param reduction why the row's class is the size it is
     * @param sameAs the row that booted for this one (same class), if this one did not boot
     */
    public record Run(int index, FaultPlan fault, List<String> order, Optional<BootOutcome> outcome, Optional<String> error,
            OrderReduction.Reason reduction, OptionalInt sameAs) {
        /** Copies the order. */
        public Run {
            order = List.copyOf(order);
        }

        /** Whether this row was booted rather than derived. */
        public boolean booted() {
            return sameAs.isEmpty();
        }
    }

    /** Reports progress: {@code done} of {@code total} rows of this shard; called from the exploring thread. */
    @FunctionalInterface
    public interface Progress {
        /** Called after each row is known. */
        void update(int done, int total);
    }

    /**
     * An explorer of {@code modules} from {@code initramfs}, booted with {@code hypervisor} and
     * {@code kvm-arm.mode=protected kvm-arm.protected_modules=<order> <extraCmdline>}; one thread,
     * reduced order space, the whole space. Every boot reads both files, as {@code pkvm boot} does.
     */
    public Explorer(Path initramfs, Path hypervisor, List<String> modules, String extraCmdline,
            Set<BootFault.Kind> kinds, int maxBoots) {
        this(initramfs, hypervisor, Optional.empty(), modules, extraCmdline, kinds, maxBoots);
    }

    /**
     * An explorer as {@link #Explorer(Path, Path, List, String, Set, int)}, whose boots all boot
     * from {@code image}, read once: each mounts and measures the same bytes and defines its own layers.
     */
    public Explorer(BootImage image, List<String> modules, String extraCmdline, Set<BootFault.Kind> kinds, int maxBoots) {
        this(image.rootfs().root(), image.hypervisorPath(), Optional.of(image), modules, extraCmdline, kinds, maxBoots);
    }

    private Explorer(Path initramfs, Path hypervisor, Optional<BootImage> image, List<String> modules, String extraCmdline,
            Set<BootFault.Kind> kinds, int maxBoots) {
        this.initramfs = Objects.requireNonNull(initramfs, "initramfs");
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        this.image = image;
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

    /** Boots on {@code jobs} threads (default 1). */
    public Explorer jobs(int jobs) {
        if (jobs < 1) {
            throw new IllegalArgumentException("--jobs must be at least 1, was " + jobs);
        }
        this.jobs = jobs;
        return this;
    }

    /** Boots every row, no class standing for another ({@code --exhaustive}). */
    public Explorer exhaustive(boolean exhaustive) {
        this.exhaustive = exhaustive;
        return this;
    }

    /** Boots only {@code shard}'s part of the space. */
    public Explorer shard(Shard shard) {
        this.shard = Objects.requireNonNull(shard, "shard");
        return this;
    }

    /** Runs the exploration. */
    public Exploration run(Progress progress) {
        List<List<String>> orders = Permutations.of(modules);
        long start = System.nanoTime();
        AtomicLong cpu = new AtomicLong();
        // Every shard boots the first row: its lsmod names the fault points, and must be the same everywhere.
        List<LoadedModule> baselineModules = new ArrayList<>();
        AtomicLong baselineCpu = new AtomicLong();
        Run baseline = boot(0, FaultPlan.none(), orders.getFirst(), baselineModules, baselineCpu);
        List<FaultPlan> faults = new ArrayList<>();
        faults.add(FaultPlan.none());
        faults.addAll(faultPoints(baselineModules));
        int planned = faults.size() * orders.size();
        int total = Math.min(planned, maxBoots);
        Map<String, Set<String>> closure = closure(baselineModules);

        // The classes, numbered in the order of their first row.
        Map<ClassId, List<Integer>> classes = new LinkedHashMap<>();
        for (int i = 0; i < total; i++) {
            FaultPlan fault = faults.get(i / orders.size());
            OrderReduction.Key key = OrderReduction.key(fault, orders.get(i % orders.size()), closure, exhaustive);
            classes.computeIfAbsent(new ClassId(i / orders.size(), key), k -> new ArrayList<>()).add(i);
        }
        Map<Integer, Run> results = new HashMap<>();
        AtomicInteger done = new AtomicInteger();
        int mine = 0;
        List<Map.Entry<ClassId, List<Integer>>> owned = new ArrayList<>();
        int number = 0;
        for (Map.Entry<ClassId, List<Integer>> c : classes.entrySet()) {
            if (shard.owns(number++)) {
                owned.add(c);
                mine += c.getValue().size();
            }
        }
        int myRows = mine;
        // Results are awaited in row order on this thread, which alone reports progress.
        Progress synced = progress;
        ThreadFactory threads = Thread.ofPlatform().daemon().name("pkvm-explore-", 1).factory();
        try (ExecutorService pool = Executors.newFixedThreadPool(jobs, threads)) {
            // Phase 1: one boot per class (the first row, already booted, stands for its own class).
            Map<Integer, Future<Run>> first = new LinkedHashMap<>();
            for (Map.Entry<ClassId, List<Integer>> c : owned) {
                int i = c.getValue().getFirst();
                OrderReduction.Reason reason = c.getKey().key().reason();
                if (i == 0) {
                    // Counted only where it is reported: other shards boot it for the fault points alone.
                    cpu.addAndGet(baselineCpu.get());
                    first.put(i, CompletableFuture.completedFuture(withReason(baseline, reason)));
                    continue;
                }
                first.put(i, pool.submit(() -> withReason(boot(i, faults.get(i / orders.size()), orders.get(i % orders.size()),
                        null, cpu), reason)));
            }
            // Phase 2: the rest of each class: derived, or booted when the class's premise did not hold.
            Map<Integer, Future<Run>> rest = new LinkedHashMap<>();
            for (Map.Entry<ClassId, List<Integer>> c : owned) {
                List<Integer> rows = c.getValue();
                OrderReduction.Key key = c.getKey().key();
                Run rep = get(first.get(rows.getFirst()));
                results.put(rep.index(), rep);
                synced.update(done.incrementAndGet(), myRows);
                boolean derive = rep.error().isEmpty()
                        && (key.reason() == OrderReduction.Reason.LATE
                        || key.reason() == OrderReduction.Reason.PREFIX && OrderReduction.stoppedInPrefix(key, rep));
                for (int i : rows.subList(1, rows.size())) {
                    FaultPlan fault = faults.get(i / orders.size());
                    List<String> order = orders.get(i % orders.size());
                    if (derive) {
                        results.put(i, new Run(i, fault, order, rep.outcome(), Optional.empty(), key.reason(),
                                OptionalInt.of(rep.index())));
                        synced.update(done.incrementAndGet(), myRows);
                    } else {
                        rest.put(i, pool.submit(() -> boot(i, fault, order, null, cpu)));
                    }
                }
            }
            for (Future<Run> f : rest.values()) {
                Run r = get(f);
                results.put(r.index(), r);
                synced.update(done.incrementAndGet(), myRows);
            }
        }
        List<Run> runs = results.values().stream().sorted(java.util.Comparator.comparingInt(Run::index)).toList();
        return new Exploration(modules, kinds, orders.size(), faults, planned, total, exhaustive, shard, runs, jobs,
                System.nanoTime() - start, cpu.get());
    }

    /** A class: a fault point (by number) and the key of its orders. */
    private record ClassId(int fault, OrderReduction.Key key) {
    }

    private static Run withReason(Run r, OrderReduction.Reason reason) {
        return new Run(r.index(), r.fault(), r.order(), r.outcome(), r.error(), reason, r.sameAs());
    }

    private static Run get(Future<Run> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("exploration interrupted", e);
        } catch (ExecutionException e) {
            // A VirtualMachineError from a boot: the exploration cannot go on.
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private Run boot(int index, FaultPlan fault, List<String> order, List<LoadedModule> lsmod, AtomicLong cpu) {
        String cmdline = "kvm-arm.mode=protected " + BootParam.PROTECTED_MODULES + "=" + String.join(",", order)
                + (extraCmdline.isBlank() ? "" : " " + extraCmdline);
        long cpuStart = threadCpuNanos();
        try {
            BootConfig config = image.isPresent() ? BootConfig.of(cmdline, image.get())
                    : new BootConfig(cmdline, initramfs, hypervisor);
            HostKernel kernel = HostKernel.boot(config.withFaults(fault));
            if (lsmod != null) {
                lsmod.addAll(kernel.lsmod());
            }
            return new Run(index, fault, order, Optional.of(BootOutcome.probe(kernel)), Optional.empty(),
                    OrderReduction.Reason.NONE, OptionalInt.empty());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Not an outcome: a bug in a module or in pkvm4j. Recorded, and the exploration goes on.
            return new Run(index, fault, order, Optional.empty(), Optional.of(e.toString()), OrderReduction.Reason.NONE,
                    OptionalInt.empty());
        } finally {
            long cpuEnd = threadCpuNanos();
            if (cpuStart >= 0 && cpuEnd >= 0) {
                cpu.addAndGet(cpuEnd - cpuStart);
            }
        }
    }

    private static long threadCpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
    }

    /** Each module with what its modprobe loads: itself and its dependencies, transitively, as the first boot saw them. */
    private static Map<String, Set<String>> closure(List<LoadedModule> baseline) {
        Map<String, List<String>> deps = new HashMap<>();
        for (LoadedModule m : baseline) {
            deps.put(m.name(), m.modinfo().depends());
        }
        Map<String, Set<String>> closure = new HashMap<>();
        for (String m : deps.keySet()) {
            Set<String> seen = new LinkedHashSet<>();
            List<String> todo = new ArrayList<>(List.of(m));
            while (!todo.isEmpty()) {
                String x = todo.removeLast();
                if (seen.add(x)) {
                    todo.addAll(deps.getOrDefault(x, List.of()));
                }
            }
            closure.put(m, seen);
        }
        return closure;
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
