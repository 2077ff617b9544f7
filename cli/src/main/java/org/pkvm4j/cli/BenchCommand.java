package org.pkvm4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm bench}: the JMH benchmarks. The {@code ./pkvm} script runs them (JMH forks its own
 * JVMs from the benchmarks jar); this command holds their usage, so {@code ./pkvm --help} lists it
 * and {@code ./pkvm bench --help} prints it like every other command's.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, customSynopsis = "pkvm bench [-hV] [--jmh-help] [JMH-ARG...]",
        description = {"Build bench/ (main code only) and run the JMH benchmarks. Run by the ./pkvm script;"
                + " ARGS go to JMH, e.g. ./pkvm bench -f 1 -wi 3 -i 5 ModCallBench, -prof gc, -rf json.",
            "./pkvm bench --jmh-help prints JMH's own options. ./pkvm bench admission [--n 16,64,128] [--rounds 5]"
                + " [--write docs/benchmarks.md] boots N modules against PF4J and raw layers, each in a fresh JVM.",
            "What is measured and the results: docs/benchmarks.md."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every benchmark ran", "1:the build or a benchmark failed (JMH's exit code)",
            "2:usage error: pkvm bench run without the ./pkvm script"})
final class BenchCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("pkvm bench runs JMH from the checkout: start it with ./pkvm bench"
                + " from the repository root");
        return Main.USAGE;
    }
}
