package org.pkvm4j.host.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.cmdline.BootConfigException;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.PreloadChecks;
import org.pkvm4j.host.verify.El2Policy;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm verify MODULE-FILE [--policy FILE]}: the checks the loader runs before defining any
 * class, offline, with every EL2 code violation listed rather than the first.
 *
 * <p>Kernel counterpart: building a module against the hyp {@code Makefile.module} rules, which
 * fail the link of any EL2 object naming a symbol EL2 may not use.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a vendor module file as modprobe would before loading it: its descriptors and EL2"
                + " symbols, then its EL2 code against the EL2 policy (what EL2 classes may reference).",
                "Prints one line per violation."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the module passes", "1:violations found, or not a module file",
                "2:usage error (bad option, unreadable or malformed policy)"})
final class VerifyCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "MODULE-FILE", description = "A vendor module file (<name>.jar).")
    private Path file;

    @Option(names = "--policy", paramLabel = "FILE",
            description = "An EL2 policy file to use instead of the bundled el2-policy.conf (same format).")
    private Path policyFile;

    @Override
    public Integer call() {
        El2Policy policy = policy();
        ModuleFile module = ModuleFile.read(file);
        PrintWriter out = spec.commandLine().getOut();
        int failures = 0;
        try {
            PreloadChecks.check(module);
            out.printf("%s: descriptors and EL2 symbols ok%n", module.name());
        } catch (PkvmException e) {
            out.println(e.getMessage()); // "EPERM: module: why", as the loader logs it
            failures++;
        }
        try {
            Path apiJar = AbiCommandSupport.runningApiLocation();
            AbiModel api = AbiModel.read(Files.isDirectory(apiJar) ? JarImage.ofDirectory(apiJar)
                    : JarImage.read(apiJar.toString(), Files.readAllBytes(apiJar)));
            SymbolCheck.Outcome abi = SymbolCheck.check(module.name(), module.jars(), api);
            out.printf("%s: ABI ok against %s %s (%s)%n", module.name(), api.module(), api.version(),
                    abi == SymbolCheck.Outcome.VERSIONS_MATCH ? "modversions match" : "no modversions; every reference links");
        } catch (PkvmException e) {
            out.println(e.getMessage());
            failures++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the running org.pkvm4j.api", e);
        }
        if (module.el2().isEmpty()) {
            out.printf("%s: no EL2 part, no EL2 code to verify%n", module.name());
        } else {
            JarImage el2 = module.el2().get();
            List<Violation> violations = new El2Verifier(policy).verify(el2);
            violations.forEach(out::println);
            long classes = el2.entryNames().stream().filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class")).count();
            out.printf("%s: EL2 code %s: %d violation%s in %d class%s (policy %s)%n", module.name(),
                    violations.isEmpty() ? "ok" : "refused", violations.size(), violations.size() == 1 ? "" : "s",
                    classes, classes == 1 ? "" : "es", policy.source());
            failures += violations.size();
        }
        out.flush();
        return failures == 0 ? 0 : Main.FAILED;
    }

    private El2Policy policy() {
        if (policyFile == null) {
            return El2Policy.bundled();
        }
        try {
            return El2Policy.read(policyFile);
        } catch (IOException e) {
            throw new BootConfigException("cannot read policy " + policyFile + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new BootConfigException("malformed policy: " + e.getMessage(), e);
        }
    }
}
