package org.pkvm4j.host.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.cmdline.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.PreloadChecks;
import org.pkvm4j.host.verify.El2Allowlist;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pkvm verify MODULE-FILE [--allowlist FILE]}: the checks the loader runs before defining
 * any class, offline, with every EL2 code violation listed rather than the first: class, method,
 * bytecode offset and line, the kind of reference and the member referenced.
 *
 * <p>Kernel counterpart: building a module against the hyp {@code Makefile.module} rules, which
 * fail the link of any EL2 object naming a symbol EL2 may not use.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a vendor module file as modprobe would before loading it: its descriptors and EL2"
                + " symbols, then its EL2 code against the EL2 allow-list (what EL2 classes may reference).",
                "Prints one line per violation."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the module passes", "1:violations found, or not a module file",
                "2:usage error (bad option, unreadable or malformed allow-list)"})
final class VerifyCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "MODULE-FILE", description = "A vendor module file (<name>.jar).")
    private Path file;

    @Option(names = "--allowlist", paramLabel = "FILE",
            description = "An EL2 allow-list to use instead of the bundled el2-allowlist.conf (same format).")
    private Path allowlistFile;

    @Option(names = "--json", description = "Print the checks and every violation, with their codes, as one JSON document.")
    private boolean json;

    @Override
    public Integer call() {
        El2Allowlist allowlist = allowlist();
        ModuleFile module = ModuleFile.read(file);
        PrintWriter out = spec.commandLine().getOut();
        List<JsonReports.VerifyStep> steps = new ArrayList<>();
        try {
            PreloadChecks.check(module);
            steps.add(new JsonReports.VerifyStep("descriptors", module.name() + ": descriptors and EL2 symbols ok", null));
        } catch (PkvmException e) {
            steps.add(new JsonReports.VerifyStep("descriptors", null, e));
        }
        try {
            Path apiJar = AbiCommandSupport.runningApiLocation();
            AbiModel api = AbiModel.read(Files.isDirectory(apiJar) ? JarImage.ofDirectory(apiJar)
                    : JarImage.read(apiJar.toString(), Files.readAllBytes(apiJar)));
            SymbolCheck.Outcome abi = SymbolCheck.check(module.name(), module.jars(), api);
            steps.add(new JsonReports.VerifyStep("abi", "%s: ABI ok against %s %s (%s)".formatted(module.name(), api.module(),
                    api.version(), abi == SymbolCheck.Outcome.VERSIONS_MATCH ? "modversions match" : "no modversions; every reference links"),
                    null));
        } catch (PkvmException e) {
            steps.add(new JsonReports.VerifyStep("abi", null, e));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the running org.pkvm4j.api", e);
        }
        List<Violation> violations = List.of();
        String el2Summary;
        if (module.el2().isEmpty()) {
            el2Summary = "%s: no EL2 part, no EL2 code to verify".formatted(module.name());
        } else {
            JarImage el2 = module.el2().get();
            violations = new El2Verifier(allowlist).verify(el2);
            long classes = el2.entryNames().stream().filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class")).count();
            el2Summary = "%s: EL2 code %s: %d violation%s in %d class%s (allow-list %s)".formatted(module.name(),
                    violations.isEmpty() ? "ok" : "refused", violations.size(), violations.size() == 1 ? "" : "s",
                    classes, classes == 1 ? "" : "es", allowlist.source());
        }
        boolean passed = violations.isEmpty() && steps.stream().allMatch(st -> st.refusal() == null);
        if (json) {
            JsonReports.verify(out, module.name(), steps, violations, allowlist.source(), passed);
            return passed ? 0 : Main.FAILED;
        }
        for (JsonReports.VerifyStep st : steps) {
            // A refusal reads "EPERM: module: why", as the loader logs it, then its code.
            out.println(st.refusal() == null ? st.detail()
                    : st.refusal().getMessage() + " [" + ErrorCode.ofLoad(st.refusal()).code() + "]");
        }
        violations.forEach(v -> out.println(v + " [" + v.code().code() + "]"));
        out.println(el2Summary);
        out.flush();
        return passed ? 0 : Main.FAILED;
    }

    private El2Allowlist allowlist() {
        if (allowlistFile == null) {
            return El2Allowlist.bundled();
        }
        try {
            return El2Allowlist.read(allowlistFile);
        } catch (IOException e) {
            throw new BootConfigException("cannot read allow-list " + allowlistFile + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new BootConfigException("malformed allow-list: " + e.getMessage(), e);
        }
    }
}
