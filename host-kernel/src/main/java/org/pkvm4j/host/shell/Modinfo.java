package org.pkvm4j.host.shell;

import java.util.List;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.initramfs.ModuleFile;

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
        ModuleFile file = kernel.moduleFile(name);
        org.pkvm4j.host.initramfs.Modinfo info = file.modinfo();
        String[][] rows = {
            {"filename", file.path().toAbsolutePath().toString()}, {"name", info.name()}, {"version", info.version()},
            {"description", info.description()}, {"author", info.author()}, {"license", info.license()},
            {"api.version", info.apiVersion()}, {"depends", String.join(",", info.depends())},
            {"el2", file.el2().map(j -> "yes (" + j.classBytes() + " bytes of classes)").orElse("no (EL1 only)")},
            {"sha256", file.sha256()},
        };
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            out.append(out.isEmpty() ? "" : "\n").append("%-12s %s".formatted(row[0] + ":", row[1]));
        }
        return Outcome.ok(out.toString());
    }
}
