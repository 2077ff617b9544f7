package org.pkvm4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.tools.abi.AbiDiff;
import org.pkvm4j.tools.abi.AbiInputs;
import org.pkvm4j.tools.abi.ApiLocation;
import org.pkvm4j.tools.abi.KmiDiff;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm abi dump|diff}: the module API's ABI offline, as the kernel tree's
 * {@code Module.symvers} and Android's checked-in ABI representation with libabigail's
 * {@code abidiff}.
 */
@Command(name = "abi", mixinStandardHelpOptions = true,
        description = "Dump the module API's ABI or compare two ABIs (jars or dumps).",
        subcommands = {AbiCommand.Dump.class, AbiCommand.Diff.class},
        exitCodeListHeading = "%nExit codes of abi diff (libabigail's abidiff):%n",
        exitCodeList = {AbiCommand.Diff.IDENTICAL, AbiCommand.Diff.COMPATIBLE, AbiCommand.Diff.BREAKING,
            AbiCommand.Diff.USAGE, AbiCommand.Diff.UNREADABLE})
final class AbiCommand {
    /** abidiff's error bit (an input cannot be read), which is every pkvm command's "failed". */
    static final int INPUT_ERROR = Main.FAILED;

    /** {@code pkvm abi dump [API-JAR] [-o FILE]}. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = {"Write the canonical ABI of an API jar: every exported type and member with a CRC32 over its "
                    + "expanded description, one per line, sorted.",
                    "The baseline in the tree is made with:", "  ./pkvm abi dump -o module-api/abi/org.pkvm4j.api.abi"},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:written", "1:the API jar cannot be read", "2:usage error"})
    static final class Dump implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "API-JAR", arity = "0..1",
                description = "The API jar (or class folder) to read (default: the running org.pkvm4j.api module's jar).")
        private Path jar;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the dump to FILE instead of stdout.")
        private Path output;

        @Override
        public Integer call() {
            AbiModel model;
            try {
                // The default is the API this tool runs with: under ./pkvm, the device image's.
                model = AbiInputs.read(jar != null ? jar : ApiLocation.running());
            } catch (IOException | IllegalStateException e) {
                return fail(spec, e);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output == null) {
                out.print(model.dump());
            } else {
                try {
                    Path parent = output.toAbsolutePath().getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    Files.writeString(output, model.dump(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return fail(spec, e);
                }
                out.println("wrote " + model.symbols().size() + " symbols of " + model.module()
                        + (model.version().isEmpty() ? "" : "@" + model.version()) + " to " + output);
            }
            out.flush();
            return 0;
        }
    }

    /** {@code pkvm abi diff OLD NEW}. */
    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = {"Compare two ABIs and classify every change as compatible or BREAKING for modules built "
                    + "against OLD, with a reason per line.",
                    "OLD and NEW are each an API jar, a class folder or a dump; the content decides.",
                    "Or each a KMI (android14-5.15, android14-6.1, android15-6.6, android16-6.12) or a KMI table (.md):"
                            + " the pkvm_module_ops layouts are compared, a member in a reserved slot being compatible.",
                    "Exit codes follow libabigail's abidiff: bits 4 (ABI changed) and 8 (incompatible change)."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {Diff.IDENTICAL, Diff.COMPATIBLE, Diff.BREAKING, Diff.USAGE, Diff.UNREADABLE})
    static final class Diff implements Callable<Integer> {
        static final String IDENTICAL = "0:identical ABIs";
        static final String COMPATIBLE = "4:compatible changes only";
        static final String BREAKING = "12:at least one breaking change (4|8)";
        static final String USAGE = "2:usage error";
        static final String UNREADABLE = "1:an input cannot be read (missing, neither jar nor dump, a hand-edited dump)";

        @Spec
        private CommandSpec spec;

        @Parameters(index = "0", paramLabel = "OLD", description = "What modules were built against: API jar or dump.")
        private Path older;

        @Parameters(index = "1", paramLabel = "NEW", description = "What they will meet: API jar or dump.")
        private Path newer;

        @Option(names = "--json", description = "Print the changes, with their verdicts and codes, as one JSON document.")
        private boolean json;

        @Override
        public Integer call() {
            AbiDiff diff;
            try {
                var oldKmi = KmiDiff.read(older);
                var newKmi = KmiDiff.read(newer);
                if (oldKmi.isPresent() != newKmi.isPresent()) {
                    spec.commandLine().getErr().println("pkvm: abi diff: compare a KMI with a KMI, an API with an API ("
                            + (oldKmi.isPresent() ? newer : older) + " is not a KMI; KMIs: "
                            + org.pkvm4j.host.kmi.Kmi.names() + ")");
                    return 2;
                }
                diff = oldKmi.isPresent() ? KmiDiff.compare(oldKmi.get(), newKmi.get())
                        : AbiDiff.compare(AbiInputs.read(older), AbiInputs.read(newer));
            } catch (IOException e) {
                return fail(spec, e);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                JsonReports.abiDiff(out, diff);
                return diff.status();
            }
            out.print(diff.report());
            out.flush();
            return diff.status();
        }
    }

    private static int fail(CommandSpec spec, Exception e) {
        String message = e instanceof java.nio.file.NoSuchFileException ? "no such file: " + e.getMessage()
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied: " + e.getMessage()
                : e.getMessage();
        spec.commandLine().getErr().println("pkvm: " + spec.qualifiedName(" ").replaceFirst("^pkvm ", "") + ": " + message
                + " [" + org.pkvm4j.host.diag.ErrorCode.CLI_FILE.code() + "]");
        return INPUT_ERROR;
    }

    private AbiCommand() {
    }
}
