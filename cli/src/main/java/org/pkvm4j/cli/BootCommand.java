package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.diag.BootConfigException;
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
        description = {"Boot a simulated pKVM device, run the demo workload, print dmesg and a boot report.",
            "With --script FILE (- for stdin) the script is the workload instead: one command a line (lsmod, dmesg,"
                + " modprobe, rmmod, modinfo, hvc, ioctl, echo, expect), # comments; see docs/cli.md, \"Shell and scripts\"."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the device booted as asked and every demo check (or the script) passed",
            "1:an insecure or panicked boot, a failed demo check; with --script: a command that failed unexpectedly or"
                + " an expect that did not match",
            "2:usage or configuration error: unknown option, malformed command line, missing initramfs, a script line"
                + " that does not parse (FILE:LINE)"})
final class BootCommand implements Callable<Integer> {
    /** The bundled device's command line. */
    static final String DEFAULT_CMDLINE =
            "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore nr_cpus=4 mem=1G";
    /** The system property naming the bundled initramfs. */
    static final String INITRAMFS_PROPERTY = "pkvm4j.initramfs";
    /** Boot step 6, userspace: the demo or the script, which only the CLI runs; its span in {@code --trace}. */
    static final int USERSPACE_STEP = 6;

    @Spec
    private CommandSpec spec;

    @Option(names = "--cmdline", paramLabel = "CMDLINE", defaultValue = DEFAULT_CMDLINE,
            description = "Kernel command line (default: ${DEFAULT-VALUE}).")
    private String cmdline;

    @Option(names = "--initramfs", paramLabel = "DIR|IMAGE",
            description = "Directory of module files or an initramfs image (default: the bundled initramfs).")
    private Path initramfs;

    @Option(names = "--key", paramLabel = "KEY.pub",
            description = "Trusted Ed25519 public key: the initramfs must be an image signed by it.")
    private Path trustedKey;

    @Option(names = "--attestation", paramLabel = "FILE",
            description = "Write the measured-boot attestation log (JSON) to FILE after the demo.")
    private Path attestation;

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

    @Option(names = "--script", paramLabel = "FILE",
            description = "Run FILE's commands after boot instead of the demo (- reads standard input).")
    private String script;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Write a Chrome/Perfetto trace (JSON) of the boot steps, module loads, EL2 handler runs and hyp panics to FILE.")
    private Path traceFile;

    @Option(names = "--json", description = "Print the boot report as one JSON document instead of dmesg and text.")
    private boolean json;

    @Override
    public Integer call() {
        if (script != null && json) {
            throw new BootConfigException(ErrorCode.BOOT_CONFIG,
                    "--json prints the boot report, --script replaces it with the script's output: pick one");
        }
        // The script is parsed whole before the boot: a line that does not parse costs no boot.
        org.pkvm4j.cli.shell.Script workload = script == null ? null : DeviceCommands.parse(spec, script);
        if (script != null && workload == null) {
            return Main.USAGE;
        }
        if (traceFile == null) {
            return boot(null, workload);
        }
        // Closed on every path, so even a boot refused half-way leaves a well-formed trace.
        try (TraceFile trace = TraceFile.create(traceFile)) {
            return boot(trace, workload);
        }
    }

    private int boot(TraceFile trace, org.pkvm4j.cli.shell.Script workload) {
        BootConfig config = hypervisor == null
                ? BootConfig.of(cmdline, initramfsOrDefault())
                : new BootConfig(cmdline, initramfsOrDefault(), hypervisor);
        if (trustedKey != null) {
            config = config.withTrustedKey(trustedKey);
        }
        HostKernel kernel = trace == null ? HostKernel.boot(config) : HostKernel.boot(config, trace);
        // Step 6, userspace: the workload runs on the booted device; the kernel's steps end at 5.
        long userspaceStart = System.nanoTime();
        int code = workload != null ? DeviceCommands.runScript(spec, kernel, workload) : demo(kernel);
        if (trace != null) {
            trace.step(USERSPACE_STEP, "userspace", userspaceStart, System.nanoTime() - userspaceStart);
        }
        if (attestation != null) {
            // After the workload, so its late loads are in the log (measured after the freeze).
            AttestationExport.write(attestation, kernel);
            if (!json) {
                spec.commandLine().getOut().printf("attestation log written to %s%n", attestation);
                spec.commandLine().getOut().flush();
            }
        }
        return code;
    }

    private int demo(HostKernel kernel) {
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
        } else {
            if (!noDmesg) {
                ReportPrinter.dmesg(out, kernel);
            }
            ReportPrinter.report(out, kernel, checks, demoNanos, ok);
        }
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
