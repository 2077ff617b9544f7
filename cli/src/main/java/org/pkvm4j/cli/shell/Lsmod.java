package org.pkvm4j.cli.shell;

import java.util.List;
import java.util.stream.Collectors;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * {@code lsmod}: the loaded modules in load order, with their EL2 token, their HVC numbers and
 * "Used by": the modules that depend on them, plus the reference a pKVM module holds on itself
 * for good (which is why it can never be unloaded).
 */
public record Lsmod() implements ShellCommand {
    static Lsmod parse(List<String> args) {
        Commands.noArguments("lsmod", args);
        return new Lsmod();
    }

    @Override
    public Outcome run(HostKernel kernel, Outcome last) {
        StringBuilder out = new StringBuilder("%-20s %-18s %-24s %s".formatted("Module", "EL2 token", "HVCs", "Used by"));
        for (LoadedModule m : kernel.lsmod()) {
            List<String> holders = kernel.holders(m.name());
            int refs = holders.size() + (m.isPkvmModule() ? 1 : 0);
            out.append('\n').append("%-20s %-18s %-24s %s".formatted(m.name(),
                    m.token().map(t -> "0x%016x".formatted(t.hypVa())).orElse("-"),
                    m.hvcs().isEmpty() ? "-" : m.hvcs().stream().map(h -> Integer.toString(h.id()))
                            .collect(Collectors.joining(",")),
                    (refs + " " + String.join(",", holders)).strip()));
        }
        return Outcome.ok(out.toString());
    }
}
