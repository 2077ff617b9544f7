package org.pkvm4j.cli.shell;

import java.util.List;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * {@code modprobe NAME}: loads a module from the initramfs (after deprivilege an EL1-only module
 * loads, a pKVM module is refused with {@code EOPNOTSUPP}).
 *
 * @param name the module
 */
public record Modprobe(String name) implements ShellCommand {
    static Modprobe parse(List<String> args) {
        return new Modprobe(Commands.oneArgument("modprobe", "NAME", args));
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        LoadedModule m = kernel.modprobe(name);
        return Outcome.ok(m.name() + ": loaded, " + m.token().map(t -> "EL2 at " + t + ", HVCs " + m.hvcs().stream()
                .map(h -> Integer.toString(h.id())).toList()).orElse("EL1 only"));
    }
}
