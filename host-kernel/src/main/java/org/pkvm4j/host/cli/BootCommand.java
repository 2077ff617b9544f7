package org.pkvm4j.host.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.cmdline.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.trace.TraceFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm boot}: boots a device, runs the demo workload and prints {@code dmesg} and a report.
 *
 * <p>With no options it boots the bundled example device: the bundled initramfs and hypervisor
 * image that {@code ./pkvm} names through system properties.
 */
@Command(name = "boot", mixinStandardHelpOptions = true,
        description = "Boot a simulated pKVM device, run the demo workload, print dmesg and a boot report.")
final class BootCommand implements Callable<Integer> {
    /** The bundled device's command line. */
    static final String DEFAULT_CMDLINE =
            "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore nr_cpus=4 mem=1G";
    /** The system property naming the bundled initramfs. */
    static final String INITRAMFS_PROPERTY = "pkvm4j.initramfs";

    @Spec
    private CommandSpec spec;

    @Option(names = "--cmdline", paramLabel = "CMDLINE", defaultValue = DEFAULT_CMDLINE,
            description = "Kernel command line (default: ${DEFAULT-VALUE}).")
    private String cmdline;

    @Option(names = "--initramfs", paramLabel = "DIR",
            description = "Directory of module files (default: the bundled initramfs).")
    private Path initramfs;

    @Option(names = "--hypervisor", paramLabel = "JAR",
            description = "Hypervisor image (default: the bundled one).")
    private Path hypervisor;

    @Option(names = "--late-load", paramLabel = "MODULE", split = ",", defaultValue = "percpu_counter,hello_el1",
            description = "Modules to modprobe after deprivilege in the demo (default: ${DEFAULT-VALUE}).")
    private List<String> lateModules;

    @Option(names = "--no-demo", description = "Boot only; skip the demo workload.")
    private boolean noDemo;

    @Option(names = "--no-dmesg", description = "Print only the boot report.")
    private boolean noDmesg;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Write a Chrome/Perfetto trace (JSON) of the boot steps, module loads, EL2 handler runs and hyp panics to FILE.")
    private Path traceFile;

    @Option(names = "--json", description = "Print the boot report as one JSON document instead of dmesg and text.")
    private boolean json;

    @Override
    public Integer call() {
        if (traceFile == null) {
            return boot(null);
        }
        // Closed on every path, so even a boot refused half-way leaves a well-formed trace.
        try (TraceFile trace = TraceFile.create(traceFile)) {
            return boot(trace);
        }
    }

    private int boot(TraceFile trace) {
        BootConfig config = hypervisor == null
                ? BootConfig.of(cmdline, initramfsOrDefault())
                : new BootConfig(cmdline, initramfsOrDefault(), hypervisor);
        HostKernel kernel = trace == null ? HostKernel.boot(config) : HostKernel.boot(config, trace);
        boolean bootOk = kernel.panic().isEmpty()
                && (!kernel.cmdline().isProtectedMode()
                        || kernel.securityState() instanceof SecurityState.Protected && kernel.bootReport().deprivileged());
        long demoStart = System.nanoTime();
        List<DemoWorkload.Check> checks = noDemo || kernel.panic().isPresent() || !kernel.cmdline().isProtectedMode()
                ? List.of() : DemoWorkload.run(kernel, lateModules);
        long demoNanos = System.nanoTime() - demoStart;
        boolean ok = bootOk && checks.stream().allMatch(DemoWorkload.Check::passed);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonReports.boot(out, kernel, checks, demoNanos, ok);
            return ok ? 0 : Main.FAILED;
        }
        if (!noDmesg) {
            ReportPrinter.dmesg(out, kernel);
        }
        ReportPrinter.report(out, kernel, checks, demoNanos, ok);
        return ok ? 0 : Main.FAILED;
    }

    private Path initramfsOrDefault() {
        if (initramfs != null) {
            return initramfs;
        }
        String bundled = System.getProperty(INITRAMFS_PROPERTY);
        if (bundled == null || bundled.isBlank()) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "no initramfs: pass --initramfs DIR, or set -D" + INITRAMFS_PROPERTY
                    + " (./pkvm sets it to the bundled one)");
        }
        return Path.of(bundled);
    }
}
