package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.util.List;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.loader.LoadedModule;

/** Prints the kernel log and the boot report the way {@code pkvm boot} shows them. */
final class ReportPrinter {
    private ReportPrinter() {
    }

    static void dmesg(PrintWriter out, HostKernel kernel) {
        if (kernel.log().dropped() > 0) {
            out.printf("[ dmesg: %d older lines dropped ]%n", kernel.log().dropped());
        }
        kernel.log().lines().forEach(out::println);
    }

    static void report(PrintWriter out, HostKernel kernel, List<DemoWorkload.Check> checks, long demoNanos,
            boolean ok) {
        BootReport r = kernel.bootReport();
        out.println();
        out.println("pkvm4j boot report");
        out.printf("  %-14s %s%n", "command line", r.cmdline());
        out.printf("  %-14s %s%n", "security", r.security().describe());
        out.printf("  %-14s %s%n", "deprivileged", r.deprivileged() ? "yes, on every CPU (" + kernel.machine().nrCpus()
                + "); EL2 module loading frozen" : "no");
        r.panic().ifPresent(p -> out.printf("  %-14s CPU%d: %s [%s]%n%s", "HYP PANIC", p.cpu(), p.reason(),
                ErrorCode.HYP_PANIC.code(), indent(p.detail())));
        out.printf("  %-14s %s%n", "initramfs", r.initramfs());
        MeasuredBootLines.print(out, r.measurements());
        out.printf("  %-14s %.3f ms in total%n", "boot steps", r.totalNanos() / 1e6);
        for (BootReport.Step s : r.steps()) {
            out.printf("    %d. %-26s %9.3f ms%n", s.number(), s.name(), s.nanos() / 1e6);
        }
        if (!checks.isEmpty()) {
            out.printf("    6. %-26s %9.3f ms%n", "userspace demo", demoNanos / 1e6);
        }
        out.printf("  %-14s%n", "modules");
        if (kernel.lsmod().isEmpty()) {
            out.println("    (none)");
        }
        for (LoadedModule m : kernel.lsmod()) {
            out.printf("    %-16s %-8s %-28s %s%n", m.name(), m.modinfo().version(),
                    m.token().map(t -> "token 0x%016x".formatted(t.hypVa())).orElse("EL1 only"),
                    m.hvcs().isEmpty() ? "" : "HVCs " + m.hvcs().stream()
                            .map(h -> "%d (0x%X)".formatted(h.id(), h.smcccFunctionId())).toList());
            if (m.signature().isPresent()) {
                out.printf("      sig: %s%n", m.describeSignature());
            }
        }
        if (!r.lateLoads().isEmpty()) {
            out.printf("  %-14s%n", "late loads");
            for (BootReport.LateLoad l : r.lateLoads()) {
                out.printf("    %-16s %s%n", l.module(), l.errno().map(e -> e + ": " + l.message()).orElse(l.message()));
            }
        }
        if (!r.hypWarnings().isEmpty()) {
            out.printf("  %-14s%n", "hyp warnings");
            for (String w : r.hypWarnings()) {
                out.printf("    %s%n", w);
            }
        }
        if (!checks.isEmpty()) {
            out.printf("  %-14s%n", "demo");
            for (DemoWorkload.Check c : checks) {
                out.printf("    %-4s %-44s %s%n", c.passed() ? "ok" : "FAIL", c.what(), c.outcome());
            }
        }
        out.printf("  %-14s %s%n", "result", ok ? "OK" : "FAILED");
        out.flush();
    }

    private static String indent(String text) {
        return text.isEmpty() ? "" : text.lines().map(l -> "      " + l).reduce("", (a, b) -> a + b + "\n");
    }
}
