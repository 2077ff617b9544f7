package org.pkvm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootImage;
import org.pkvm4j.host.BootFault;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.cmdline.ProtectedModules;
import org.pkvm4j.cli.explore.Exploration;
import org.pkvm4j.cli.explore.Explorer;
import org.pkvm4j.cli.explore.Shard;
import org.pkvm4j.host.initramfs.Initramfs;
import org.pkvm4j.host.initramfs.Rootfs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm explore}: boots a module set in every order under every fault point and prints the
 * matrix of outcomes, marking the faults whose outcome depends on the order.
 */
@Command(name = "explore", mixinStandardHelpOptions = true, subcommands = ExploreMergeCommand.class,
        description = {"Boot a set of protected modules in every order, under every fault point (EL1 init fails,"
                + " EL2 init fails, each handler registration fails with ENOMEM, the module loads after deprivilege),"
                + " and print the outcomes: security state, HVCs answering, whether a protected VM may start.",
                "Faults whose outcome depends on the load order are marked with *. Orders that cannot boot differently"
                + " share one boot (--exhaustive boots them all); boots run on --jobs threads; --shard I/N boots one part"
                + " of the space, and 'pkvm explore merge' joins the parts' --json results into the run's.",
                "Without --shard, the scheduler's variables are followed: Bazel's TEST_TOTAL_SHARDS and TEST_SHARD_INDEX"
                + " (TEST_SHARD_STATUS_FILE is touched), a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with the total"
                + " from --shard-total or PKVM_EXPLORE_SHARDS."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every boot came to an outcome (an insecure boot is an outcome)",
                "1:a boot failed unexpectedly (an exception escaped it)", "2:usage or configuration error"})
final class ExploreCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--modules", paramLabel = "MODULE", split = ",",
            description = "Modules to explore (default: the bundled device's kvm-arm.protected_modules=).")
    private List<String> modules;

    @Option(names = "--initramfs", paramLabel = "DIR",
            description = "Directory of module files (default: the bundled initramfs).")
    private Path initramfs;

    @Option(names = "--hypervisor", paramLabel = "JAR", description = "Hypervisor image (default: the bundled one).")
    private Path hypervisor;

    @Option(names = "--faults", paramLabel = "KIND", split = ",", defaultValue = "el1-init,el2-init,register,late",
            converter = FaultKindConverter.class,
            description = "Fault kinds to inject: el1-init, el2-init, register, late (default: ${DEFAULT-VALUE}).")
    private List<BootFault.Kind> faults;

    @Option(names = "--max-boots", paramLabel = "N", defaultValue = "5000",
            description = "Boot at most N devices; later fault points are left out (default: ${DEFAULT-VALUE}).")
    private int maxBoots;

    @Option(names = "--cmdline", paramLabel = "PARAMS", defaultValue = "nr_cpus=4 mem=1G",
            description = "Other kernel parameters of every boot (default: ${DEFAULT-VALUE}).")
    private String extraCmdline;

    @Option(names = "--jobs", paramLabel = "N",
            description = "Boot on N threads (default: the number of processors, ${DEFAULT-VALUE} here).")
    private int jobs = Runtime.getRuntime().availableProcessors();

    @Option(names = "--exhaustive", description = "Boot every order of every fault, none standing for another.")
    private boolean exhaustive;

    @Option(names = "--shard", paramLabel = "I/N", description = "Boot only part I of N (0 <= I < N) of the boot space.")
    private String shardSpec;

    @Option(names = "--shard-total", paramLabel = "N",
            description = "How many parts, with JOB_COMPLETION_INDEX naming this one (Kubernetes Indexed Jobs).")
    private Integer shardTotal;

    @Option(names = "--json", description = "Print the results as JSON (without timings; those go to stderr).")
    private boolean json;

    @Option(names = "--progress", description = "Show the progress bar on stderr even when it is not a terminal.")
    private boolean progress;

    @Option(names = "--read-every-boot", description = {"Every boot reads, hashes and parses the initramfs and the"
            + " hypervisor jar from their files, as 'pkvm boot' does. By default they are read once, into memory, and"
            + " every boot mounts and measures those bytes: the same results, faster."})
    private boolean readEveryBoot;

    @Override
    public Integer call() {
        if (maxBoots < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-boots must be at least 1, was " + maxBoots);
        }
        KernelCmdline parsed = KernelCmdline.parse(extraCmdline);
        if (!parsed.protectedModules().isEmpty() || parsed.get("kvm-arm.mode").isPresent()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--cmdline must not set kvm-arm.mode= or kvm-arm.protected_modules=: explore sets them per boot");
        }
        Path root = initramfs != null ? initramfs : bundledInitramfs();
        // Read once: every boot mounts these bytes, measured as a mount of the directory measures them.
        // Booting from the files, nothing is kept: the mount of the directory only finds the modules.
        Optional<Rootfs> rootfs = readEveryBoot ? Optional.empty() : Optional.of(Rootfs.populate(root));
        Initramfs mounted = rootfs.map(Initramfs::mount).orElseGet(() -> Initramfs.mount(root));
        List<String> set = moduleSet();
        for (String m : set) {
            if (mounted.find(m).isEmpty()) {
                throw new BootConfigException("module " + m + " is not in initramfs " + mounted.root());
            }
        }
        Path hyp = hypervisor != null ? hypervisor : BootConfig.of("", root).hypervisor();
        // Either way, a missing or bad hypervisor jar is a configuration error (exit 2) before any boot,
        // not a boot error in every row.
        BootImage.checkHypervisor(hyp);
        if (jobs < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--jobs must be at least 1, was " + jobs);
        }
        Shard shard = shard();
        Set<BootFault.Kind> kinds = EnumSet.copyOf(faults);
        Explorer explorer = rootfs.map(fs -> new Explorer(BootImage.load(fs, hyp), set, extraCmdline, kinds, maxBoots))
                .orElseGet(() -> new Explorer(root, hyp, set, extraCmdline, kinds, maxBoots))
                .jobs(jobs).exhaustive(exhaustive).shard(shard);
        PrintWriter err = spec.commandLine().getErr();
        ProgressBar bar = new ProgressBar(err, progress || ProgressBar.isTerminal());
        Exploration result = explorer.run(bar::update);
        bar.finish();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ExploreJson.write(out, result);
            err.println("pkvm explore: " + ExploreMatrix.timing(result));
        } else {
            ExploreMatrix.print(out, result);
        }
        out.flush();
        for (Explorer.Run r : result.errors()) {
            err.println("pkvm explore: boot of " + String.join(",", r.order()) + " with " + r.fault() + " threw "
                    + r.error().orElseThrow());
        }
        err.flush();
        return result.errors().isEmpty() ? 0 : Main.FAILED;
    }

    /**
     * The part of the space to boot: {@code --shard}, else what the scheduler set (Bazel's test
     * sharding, then a Kubernetes Indexed Job), else all of it.
     */
    private Shard shard() {
        try {
            if (shardSpec != null) {
                return Shard.parse(shardSpec);
            }
            Map<String, String> env = System.getenv();
            if (env.containsKey("TEST_TOTAL_SHARDS") && env.containsKey("TEST_SHARD_INDEX")) {
                Shard s = new Shard(Integer.parseInt(env.get("TEST_SHARD_INDEX").trim()),
                        Integer.parseInt(env.get("TEST_TOTAL_SHARDS").trim()));
                String status = env.get("TEST_SHARD_STATUS_FILE");
                if (status != null && !status.isBlank()) {
                    // Bazel's handshake: the test runner says it understood the sharding variables.
                    touch(Path.of(status));
                }
                return s;
            }
            if (env.containsKey("JOB_COMPLETION_INDEX")) {
                Integer total = shardTotal != null ? shardTotal
                        : env.containsKey("PKVM_EXPLORE_SHARDS") ? Integer.valueOf(env.get("PKVM_EXPLORE_SHARDS").trim()) : null;
                if (total == null) {
                    throw new IllegalArgumentException("JOB_COMPLETION_INDEX is set: give the number of completions with"
                            + " --shard-total N or PKVM_EXPLORE_SHARDS (or --shard 0/1 to explore everything)");
                }
                return new Shard(Integer.parseInt(env.get("JOB_COMPLETION_INDEX").trim()), total);
            }
            if (shardTotal != null) {
                throw new IllegalArgumentException("--shard-total needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)");
            }
            return Shard.ALL;
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "a shard variable is not a number: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static void touch(Path file) {
        try {
            if (Files.notExists(file)) {
                Files.createFile(file);
            }
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<String> moduleSet() {
        List<String> given = modules != null ? modules
                : KernelCmdline.parse(BootCommand.DEFAULT_CMDLINE).protectedModules().names();
        Set<String> set = new LinkedHashSet<>();
        for (String m : given) {
            String name = ProtectedModules.normalize(m.trim());
            if (name.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--modules has an empty name");
            }
            if (!set.add(name)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--modules names " + name + " twice");
            }
        }
        return new ArrayList<>(set);
    }

    private static Path bundledInitramfs() {
        String bundled = System.getProperty(BootCommand.INITRAMFS_PROPERTY);
        if (bundled == null || bundled.isBlank()) {
            throw new BootConfigException("no initramfs: pass --initramfs DIR, or set -D" + BootCommand.INITRAMFS_PROPERTY
                    + " (./pkvm sets it to the bundled one)");
        }
        return Path.of(bundled);
    }

    /** {@code el1-init} and friends, as {@link BootFault.Kind#parse} spells them. */
    static final class FaultKindConverter implements CommandLine.ITypeConverter<BootFault.Kind> {
        @Override
        public BootFault.Kind convert(String value) {
            try {
                return BootFault.Kind.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
