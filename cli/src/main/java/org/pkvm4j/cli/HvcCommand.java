package org.pkvm4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.pkvm4j.cli.shell.Commands;
import org.pkvm4j.cli.shell.ShellCommand;
import org.pkvm4j.cli.shell.SyntaxError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pkvm hvc MODULE HVC [ARGS]}: boots the device and calls one of a module's EL2 handlers. */
@Command(name = "hvc", mixinStandardHelpOptions = true,
        description = {"Boot the device (the bundled one by default) and call one of MODULE's EL2 handlers through"
                + " the module's own Pkvm handle, as its EL1 code would; print x0..x3.",
            "HVC: an index into the module's handlers (0, 1, ...), a dynamic id (128..255) or an SMCCC function id"
                + " (0xC6000080..0xC60000FF). ARGS: x1..x3, decimal or 0x hex."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:the handler returned SMCCC_RET_SUCCESS in x0",
            "1:the call failed (x0 an SMCCC error, the module not loaded, not its HVC) or the boot was insecure",
            "2:usage error: bad HVC or argument, more than 3 arguments, unknown option, bad command line"})
final class HvcCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DeviceOptions device;

    @Parameters(index = "0", paramLabel = "MODULE", description = "A loaded module, e.g. kvstore.")
    private String module;

    @Parameters(index = "1", paramLabel = "HVC", description = "The handler: index, id or function id.")
    private String hvc;

    @Parameters(index = "2..*", paramLabel = "ARG", arity = "0..3", description = "x1..x3 (0 when left out).")
    private List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        String text = String.join(" ", "hvc", module, hvc, String.join(" ", args)).strip();
        ShellCommand command;
        try {
            command = Commands.parse(text);
        } catch (SyntaxError e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        return DeviceCommands.runOne(spec, device, text, command);
    }
}
