package org.pkvm4j.host.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.initramfs.Modinfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pkvm modinfo FILE}: prints a module file's record, as {@code modinfo} does. */
@Command(name = "modinfo", mixinStandardHelpOptions = true,
        description = "Print the modinfo record of a vendor module file.")
final class ModinfoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A vendor module file (<name>.jar).")
    private Path file;

    @Option(names = "--json", description = "Print the record as one JSON document.")
    private boolean json;

    @Override
    public Integer call() {
        ModuleFile module = ModuleFile.read(file);
        Modinfo info = module.modinfo();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonReports.modinfo(out, module);
            return 0;
        }
        row(out, "filename", module.path().toAbsolutePath().toString());
        row(out, "name", info.name());
        row(out, "version", info.version());
        row(out, "description", info.description());
        row(out, "author", info.author());
        row(out, "license", info.license());
        row(out, "api.version", info.apiVersion());
        row(out, "depends", String.join(",", info.depends()));
        row(out, "el2", module.el2().map(j -> "yes (" + j.classBytes() + " bytes of classes)").orElse("no (EL1 only)"));
        row(out, "sha256", module.sha256());
        out.flush();
        return 0;
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf("%-12s %s%n", key + ":", value);
    }
}
