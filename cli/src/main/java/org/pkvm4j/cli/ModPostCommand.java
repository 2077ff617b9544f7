package org.pkvm4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.pkvm4j.host.abi.ModVersions;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.tools.abi.ApiLocation;
import org.pkvm4j.tools.modpost.ModPost;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm modpost}: stamps a module's build with the CRCs of the API symbols it uses.
 *
 * <p>Kernel counterpart: {@code scripts/mod/modpost}, which writes a module's {@code __versions}
 * from {@code Module.symvers}. Run by a vendor module's Maven build on its compiled EL1 classes
 * (with the EL2 jar already embedded) before they are packed; the record lands in {@value
 * ModVersions#ENTRY}.
 */
@Command(name = "modpost", mixinStandardHelpOptions = true,
        description = "Write META-INF/pkvm/modversions for a module's classes (build step of vendor modules).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written", "1:a class file or the API jar cannot be read",
            "2:usage error: unknown option, --el1 not a directory of classes"})
final class ModPostCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--api", paramLabel = "JAR|DIR",
            description = "The org.pkvm4j.api the module was compiled against (default: the one this tool runs with,"
                    + " which a module's Maven build puts on its class path).")
    private Path api;

    @Option(names = "--el1", required = true, paramLabel = "DIR",
            description = "The EL1 module's compiled classes (target/classes); its EL2 jar, if any, at "
                    + ModuleFile.EL2_ENTRY + " inside.")
    private Path el1;

    @Override
    public Integer call() throws IOException {
        ModPost.Result r = ModPost.run(el1, api != null ? api : ApiLocation.running());
        spec.commandLine().getOut().printf("modpost: %d symbols of %s %s recorded in %s%n", r.symbols(), r.apiModule(),
                r.apiVersion(), r.record());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
