package org.pkvm4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.ModVersions;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
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
        if (api == null) {
            api = AbiCommandSupport.runningApiLocation();
        }
        AbiModel builtAgainst = AbiModel.read(Files.isDirectory(api) ? JarImage.ofDirectory(api)
                : JarImage.read(api.toString(), Files.readAllBytes(api)));
        if (!Files.isDirectory(el1)) {
            throw new BootConfigException("--el1 " + el1 + " is not a directory of classes");
        }
        List<JarImage> jars = new ArrayList<>();
        jars.add(JarImage.ofDirectory(el1));
        Path el2 = el1.resolve(ModuleFile.EL2_ENTRY);
        if (Files.isRegularFile(el2)) {
            jars.add(JarImage.read(el2.toString(), Files.readAllBytes(el2)));
        }
        ModVersions record;
        try {
            record = ModVersions.compute(jars, builtAgainst);
        } catch (IllegalArgumentException e) {
            throw new BootConfigException("modpost: " + e.getMessage());
        }
        Path out = el1.resolve(ModVersions.ENTRY);
        Files.createDirectories(out.getParent());
        Files.writeString(out, record.format());
        spec.commandLine().getOut().printf("modpost: %d symbols of %s %s recorded in %s%n", record.crcs().size(),
                builtAgainst.module(), builtAgainst.version(), out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
