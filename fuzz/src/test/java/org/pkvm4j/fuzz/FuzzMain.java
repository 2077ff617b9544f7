package org.pkvm4j.fuzz;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one fuzz test in fuzzing mode for {@code ./pkvm fuzz}: Jazzer fuzzes one test per JVM, so
 * the script starts one JVM per target, with {@code JAZZER_FUZZ=1} in its environment.
 *
 * <p>Usage: {@code FuzzMain CLASS#METHOD SECONDS}. The libFuzzer flags go in as Jazzer's JUnit
 * configuration parameters {@code jazzer.internal.arg.N}, after the ones Jazzer derives from the
 * annotation, so they win: the time budget, a per-input timeout (a hang is a finding) and an RSS
 * limit (so is unbounded memory). Exit status 0 when the campaign ended without a finding, 1 with
 * one (Jazzer wrote the input next to the target's committed inputs), 2 on a usage error.
 */
public final class FuzzMain {
    /** Seconds one input may run before it counts as a hang. */
    static final int TIMEOUT_SECONDS = 10;
    /** The resident memory a campaign's JVM may reach (its heap is -Xmx1g). */
    static final int RSS_LIMIT_MB = 2560;

    private FuzzMain() {
    }

    /**
     * Runs the campaign.
     *
     * @param args {@code CLASS#METHOD SECONDS}
     */
    public static void main(String[] args) {
        if (args.length != 2 || !args[0].contains("#") || !args[1].matches("[1-9][0-9]*")) {
            System.err.println("usage: FuzzMain CLASS#METHOD SECONDS");
            System.exit(2);
        }
        String[] target = args[0].split("#", 2);
        String className = target[0].contains(".") ? target[0] : FuzzMain.class.getPackageName() + "." + target[0];
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(className + "#" + target[1] + "(byte[])"))
                .configurationParameter("jazzer.internal.arg.0", "fuzz")
                .configurationParameter("jazzer.internal.arg.1", "-max_total_time=" + args[1])
                .configurationParameter("jazzer.internal.arg.2", "-timeout=" + TIMEOUT_SECONDS)
                .configurationParameter("jazzer.internal.arg.3", "-rss_limit_mb=" + RSS_LIMIT_MB)
                .configurationParameter("jazzer.internal.arg.4", "-print_final_stats=1")
                // The campaign is one long test invocation: JUnit's default timeout must not end it.
                .configurationParameter("junit.jupiter.execution.timeout.mode", "disabled")
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        TestExecutionSummary result = summary.getSummary();
        result.printTo(new PrintWriter(System.out, true));
        result.printFailuresTo(new PrintWriter(System.out, true), 30);
        if (result.getTestsFoundCount() == 0) {
            System.err.println("FuzzMain: no fuzz test " + args[0]);
            System.exit(2);
        }
        System.exit(result.getTotalFailureCount() == 0 ? 0 : 1);
    }
}
