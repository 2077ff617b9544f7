package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.concurrent.Callable;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.initramfs.ImageKeys;
import org.pkvm4j.host.initramfs.Initramfs;
import org.pkvm4j.host.initramfs.ModuleFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm modinfo FILE}: prints a module file's record, as {@code modinfo} does; with {@code
 * --initramfs}, FILE names a module inside that initramfs (an image checked with {@code --key}).
 */
@Command(name = "modinfo", mixinStandardHelpOptions = true,
        description = "Print the modinfo record of a vendor module file, or of a module in an initramfs image.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:printed", "1:the file cannot be read or is not a module file", "2:usage error"})
final class ModinfoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "FILE|MODULE", description = "A vendor module file (<name>.jar); with --initramfs, a module name.")
    private Path file;

    @Option(names = "--initramfs", paramLabel = "DIR|IMAGE", description = "Read MODULE from this initramfs.")
    private Path initramfs;

    @Option(names = "--key", paramLabel = "KEY.pub", description = "The trusted key the initramfs image must be signed with.")
    private Path key;

    @Option(names = "--json", description = "Print the record as one JSON document.")
    private boolean json;

    @Override
    public Integer call() {
        ModuleFile module = initramfs == null ? ModuleFile.read(file) : fromInitramfs();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonReports.modinfo(out, module);
            return 0;
        }
        SequencedMap<String, String> rows = module.modinfoRows();
        if (module.signature().isEmpty() && key == null) {
            rows.put("sig", "none (a module inherits the signature of a verified initramfs image)");
        }
        rows.forEach((k, v) -> row(out, k, v));
        out.flush();
        return 0;
    }

    private ModuleFile fromInitramfs() {
        Initramfs mounted = Initramfs.mount(initramfs, Optional.ofNullable(key).map(ImageKeys::readPublic));
        return mounted.read(file.toString()).orElseThrow(() -> new PkvmException(Errno.ENOENT,
                "module " + file + " not found in initramfs " + mounted.root()));
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf("%-12s %s%n", key + ":", value);
    }
}
