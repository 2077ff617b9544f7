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
import org.pkvm4j.cli.explore.OrderReduction;

/**
 * Prints an exploration as a matrix: one row per boot (fault x order), the fault written once per
 * group, rows of an order-dependent fault marked with {@code *}.
 */
final class ExploreMatrix {
    private static final String[] HEADER = {"fault", "order", "security", "HVCs answering", "pVM", "late load"};

    private ExploreMatrix() {
    }

    static void print(PrintWriter out, Exploration e) {
        out.printf(Locale.ROOT, "pkvm explore: %d module(s) (%s), %d order(s) x %d fault point(s) = %d boots%s%s%n",
                e.modules().size(), String.join(", ", e.modules()), e.orders(), e.faultPoints(), e.planned(),
                e.isBounded() ? ", bounded to " + e.explored() + " by --max-boots" : "",
                e.shard().isAll() ? "" : ", shard " + e.shard() + ": " + e.runs().size() + " of them");
        Set<FaultPlan> dependent = e.orderDependent();
        List<String[]> rows = new ArrayList<>();
        List<Boolean> marked = new ArrayList<>();
        for (Map.Entry<FaultPlan, List<Explorer.Run>> group : e.byFault().entrySet()) {
            boolean first = true;
            for (Explorer.Run r : group.getValue()) {
                String fault = first ? group.getKey().toString() : "";
                // A row that shares another's boot says so: "= row 12".
                String order = String.join(",", r.order()) + (r.booted() ? "" : " (=" + r.sameAs().getAsInt() + ")");
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
        out.println(reductions(e));
        out.println(timing(e));
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

    /**
     * {@code 108 rows, 81 booted: 12 shared a boot (late: the late module's place), 15 (prefix: ...)}; or,
     * with {@code --exhaustive}, that every row booted.
     */
    static String reductions(Exploration e) {
        if (e.exhaustive()) {
            return String.format(Locale.ROOT, "%d rows, every one booted (--exhaustive)", e.runs().size());
        }
        Map<OrderReduction.Reason, Integer> skipped = e.skipped();
        List<String> parts = new ArrayList<>();
        skipped.forEach((reason, n) -> parts.add(n + " " + switch (reason) {
            case LATE -> "late load (its place in the order does not matter)";
            case PREFIX -> "failing load (the order after the entry that failed does not matter)";
            case NONE -> "other";
        }));
        return String.format(Locale.ROOT, "%d rows, %d booted, %d shared a boot (row (=N) shares row N's)%s", e.runs().size(),
                e.booted(), e.runs().size() - e.booted(), parts.isEmpty() ? "" : ": " + String.join(", ", parts));
    }

    /** {@code 81 boots in 2.10 s on 2 thread(s): 38.6 boots/s (20.1 per CPU-second of the booting threads)}. */
    static String timing(Exploration e) {
        return String.format(Locale.ROOT, "%d boots in %.2f s on %d thread(s): %.1f boots/s%s", e.booted(), e.nanos() / 1e9,
                e.jobs(), e.bootsPerSecond(), e.cpuNanos() > 0
                        ? String.format(Locale.ROOT, " (%.1f per CPU-second of the booting threads)", e.bootsPerCpuSecond()) : "");
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
