package org.pkvm4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pkvm}: boots devices and inspects module files.
 *
 * <p>Exit codes, for every command: 0 success; 1 the command ran and found a failure (an insecure
 * or panicked boot, a failed demo check, an unreadable module file, a module that fails verify); 2
 * a usage or configuration error (unknown option, malformed command line, missing initramfs). {@code
 * abi diff} adds 4 (compatible changes only) and 12 (breaking changes), as libabigail's abidiff.
 */
@Command(name = "pkvm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "pKVM vendor modules on the JVM: boot a simulated arm64 device and its vendor modules.",
        subcommands = {BootCommand.class, ModinfoCommand.class, InitramfsCommand.class, ModPostCommand.class, AbiCommand.class, VerifyCommand.class,
            LsmodCommand.class, DmesgCommand.class, HvcCommand.class, NewModuleCommand.class, ExploreCommand.class,
            TestCommand.class, BenchCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the command ran and found a failure", "2:usage or configuration error"})
public final class Main {
    /** Exit code: a check failed. */
    static final int FAILED = 1;
    /** Exit code: a usage or configuration error. */
    static final int USAGE = 2;

    private Main() {
    }

    /** Runs the CLI and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI on the standard streams and returns its exit code. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** Runs the CLI writing to {@code out} and {@code err} and returns its exit code; for tests and embedders. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLine().setOut(out).setErr(err).execute(args);
    }

    /** The configured command line, writing to the standard streams. */
    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(new UserErrors())
                .setCaseInsensitiveEnumValuesAllowed(true);
    }

    /** Prints the version of the running jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getModule().getDescriptor() == null ? null
                    : Main.class.getModule().getDescriptor().rawVersion().orElse(null);
            return new String[] {"pkvm4j " + (v == null ? "(development build)" : v)};
        }
    }
}
