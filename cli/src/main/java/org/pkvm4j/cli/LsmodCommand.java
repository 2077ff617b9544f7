package org.pkvm4j.cli;

import java.util.concurrent.Callable;
import org.pkvm4j.cli.shell.Lsmod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code pkvm lsmod}: boots the device and lists its loaded modules. */
@Command(name = "lsmod", mixinStandardHelpOptions = true,
        description = "Boot the device (the bundled one by default) and list its loaded modules: EL2 token, HVC"
                + " numbers, Used by.",
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
            "0:success", "1:the device booted insecure or panicked",
            "2:usage error: unknown option, bad command line, no initramfs"})
final class LsmodCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private DeviceOptions device;

    @Override
    public Integer call() {
        return DeviceCommands.runOne(spec, device, "lsmod", new Lsmod());
    }
}
