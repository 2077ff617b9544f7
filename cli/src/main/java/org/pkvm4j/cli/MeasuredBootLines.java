package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.stream.Collectors;
import org.pkvm4j.host.attest.Measurement;
import org.pkvm4j.host.attest.MeasurementLog;

/** The measured-boot lines of the boot report: short digests, before and after the freeze. */
final class MeasuredBootLines {
    private static final int SHORT = 16;

    private MeasuredBootLines() {
    }

    static void print(PrintWriter out, MeasurementLog log) {
        out.printf("  %-14s sha256 initramfs %s%n", "measured", shorten(log.initramfs().sha256()));
        out.printf("  %-14s before freeze: %s%n", "", list(log.beforeFreeze()));
        List<Measurement> after = log.afterFreeze();
        if (!after.isEmpty()) {
            out.printf("  %-14s after freeze:  %s%n", "", list(after));
        }
        for (String taint : log.taints()) {
            out.printf("  %-14s %s: checks of vendor modules off [PKVM-BOOT-TAINTED]%n", "tainted", taint);
        }
    }

    private static String list(List<Measurement> modules) {
        return modules.isEmpty() ? "(none)" : modules.stream().map(m -> m.name() + " " + shorten(m.sha256()))
                .collect(Collectors.joining(", "));
    }

    private static String shorten(String sha256) {
        return sha256.length() > SHORT ? sha256.substring(0, SHORT) : sha256;
    }
}
