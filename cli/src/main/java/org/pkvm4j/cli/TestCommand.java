package org.pkvm4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm test}: the repository's whole test suite. The {@code ./pkvm} script runs it (it runs
 * Maven, not a device); this command holds its usage, so {@code ./pkvm --help} lists it and {@code
 * ./pkvm test --help} prints it like every other command's.
 */
@Command(name = "test", mixinStandardHelpOptions = true, customSynopsis = "pkvm test [-hV] [MAVEN-ARG...]",
        description = {"Run every unit and integration test of the checkout: ./mvnw -B -ntp verify with a JDK 25."
                + " Run by the ./pkvm script; ARGS go to Maven (e.g. -pl host-kernel -am, -Dtest='Cli*').",
            "Prints a line per reactor module as Maven reaches it, then a summary: tests run per module, failures,"
                + " errors, skipped, the total time, and a last line 'N passed, N failed'. Maven's whole output"
                + " is kept in target/pkvm-test.log; on a failure the failing tests and that path are printed."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every test passed", "1:a test or the build failed (Maven's exit code)",
            "2:usage error: pkvm test run without the ./pkvm script"})
final class TestCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("pkvm test runs Maven on the checkout: start it with ./pkvm test"
                + " from the repository root");
        return Main.USAGE;
    }
}
