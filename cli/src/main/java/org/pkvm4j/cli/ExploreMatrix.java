package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pkvm4j.host.FaultPlan;
import org.pkvm4j.cli.explore.BootOutcome;
import org.pkvm4j.cli.explore.Exploration;
import org.pkvm4j.cli.explore.Explorer;

/**
 * Prints an exploration as a matrix: one row per boot (fault x order), the fault written once per
 * group, rows of an order-dependent fault marked with {@code *}.
 */
final class ExploreMatrix {
    private static final String[] HEADER = {"fault", "order", "security", "HVCs answering", "pVM", "late load"};

    private ExploreMatrix() {
    }

    static void print(PrintWriter out, Exploration e) {
        out.printf(Locale.ROOT, "pkvm explore: %d module(s) (%s), %d order(s) x %d fault point(s) = %d boots%s%n",
                e.modules().size(), String.join(", ", e.modules()), e.orders(), e.faultPoints(), e.planned(),
                e.isBounded() ? ", bounded to " + e.runs().size() + " by --max-boots" : "");
        Set<FaultPlan> dependent = e.orderDependent();
        List<String[]> rows = new ArrayList<>();
        List<Boolean> marked = new ArrayList<>();
        for (Map.Entry<FaultPlan, List<Explorer.Run>> group : e.byFault().entrySet()) {
            boolean first = true;
            for (Explorer.Run r : group.getValue()) {
                String fault = first ? group.getKey().toString() : "";
                String order = String.join(",", r.order());
                rows.add(r.outcome().map(o -> row(fault, order, o))
                        .orElseGet(() -> new String[] {fault, order, "ERROR: " + r.error().orElseThrow(), "", "", ""}));
                marked.add(dependent.contains(group.getKey()));
                first = false;
            }
        }
        int[] width = new int[HEADER.length];
        for (int i = 0; i < HEADER.length; i++) {
            width[i] = HEADER[i].length();
        }
        for (String[] row : rows) {
            for (int i = 0; i < row.length - 1; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        out.println();
        line(out, "  ", HEADER, width);
        for (int i = 0; i < rows.size(); i++) {
            line(out, marked.get(i) ? "* " : "  ", rows.get(i), width);
        }
        out.println();
        out.printf(Locale.ROOT, "%d boots in %.2f s: %.1f boots/s%s%n", e.runs().size(), e.nanos() / 1e9, e.bootsPerSecond(),
                e.cpuNanos() > 0 ? String.format(Locale.ROOT, " (%.1f per CPU-second of the booting thread)", e.bootsPerCpuSecond()) : "");
        if (dependent.isEmpty()) {
            out.println("no outcome depends on the load order");
        } else {
            out.printf(Locale.ROOT, "%d of %d fault point(s) give order-dependent outcomes (marked *):%n", dependent.size(),
                    e.byFault().size());
            for (FaultPlan f : dependent) {
                out.println("  " + f);
            }
        }
        if (!e.errors().isEmpty()) {
            out.printf(Locale.ROOT, "%d boot(s) failed unexpectedly (ERROR rows)%n", e.errors().size());
        }
    }

    private static String[] row(String fault, String order, BootOutcome o) {
        return new String[] {fault, order, o.describeSecurity(), o.describeHvcs(), o.describePvm(), o.describeLateLoads()};
    }

    private static void line(PrintWriter out, String mark, String[] cells, int[] width) {
        StringBuilder b = new StringBuilder(mark);
        for (int i = 0; i < cells.length; i++) {
            b.append(i == cells.length - 1 ? cells[i] : pad(cells[i], width[i])).append(i == cells.length - 1 ? "" : "  ");
        }
        out.println(b.toString().stripTrailing());
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
