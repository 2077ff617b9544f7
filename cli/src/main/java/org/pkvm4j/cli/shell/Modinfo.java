package org.pkvm4j.cli.shell;

import java.util.List;
import org.pkvm4j.host.HostKernel;

/**
 * {@code modinfo NAME}: the record of module {@code NAME} in the device's initramfs, loaded or not.
 *
 * @param name the module
 */
public record Modinfo(String name) implements ShellCommand {
    static Modinfo parse(List<String> args) {
        return new Modinfo(Commands.oneArgument("modinfo", "NAME", args));
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        StringBuilder out = new StringBuilder();
        kernel.moduleFile(name).modinfoRows().forEach((k, v) ->
                out.append(out.isEmpty() ? "" : "\n").append("%-12s %s".formatted(k + ":", v)));
        return Outcome.ok(out.toString());
    }
}
