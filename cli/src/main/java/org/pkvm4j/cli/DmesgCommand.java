package org.pkvm4j.cli;

import java.util.concurrent.Callable;
import org.pkvm4j.cli.shell.Dmesg;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pkvm dmesg}: boots the device and prints its kernel log. */
@Command(name = "dmesg", mixinStandardHelpOptions = true,
        description = "Boot the device (the bundled one by default) and print its kernel log.",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:success", "1:the device booted insecure or panicked",
            "2:usage error: unknown option, invalid regex, bad command line, no initramfs"})
final class DmesgCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DeviceOptions device;

    @Option(names = "--grep", paramLabel = "RE", description = "Print only the lines in which RE (a Java regex) is found.")
    private String grep;

    @Override
    public Integer call() {
        Dmesg dmesg;
        try {
            dmesg = new Dmesg(false, grep == null ? null : Dmesg.compile(grep));
        } catch (org.pkvm4j.cli.shell.SyntaxError e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--grep: " + e.getMessage());
        }
        return DeviceCommands.runOne(spec, device, "dmesg", dmesg);
    }
}
