package org.pkvm4j.host.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.cmdline.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.CheckedModule;
import org.pkvm4j.host.loader.ModuleChecks;
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

    @Option(names = "--json", description = "Print the checks and every violation, with their codes, as one JSON document.")
    private boolean json;

    @Override
    public Integer call() {
        El2Policy policy = policy();
        ModuleFile module = ModuleFile.read(file);
        PrintWriter out = spec.commandLine().getOut();
        List<JsonReports.VerifyStep> steps = new ArrayList<>();
        // The pipeline modprobe runs; here every check reports, a refused one does not stop the next.
        CheckedModule checked;
        try {
            checked = ModuleChecks.report(module, ModuleChecks.Options.offline(VerifyCommand::runningApi,
                    new El2Verifier(policy)));
        } catch (PkvmException e) {
            // An entry or class file refused: nothing else may be read.
            steps.add(new JsonReports.VerifyStep(ModuleChecks.ENTRIES, null, e));
            return print(out, module, steps, List.of(), "%s: not checked further".formatted(module.name()), policy);
        }
        PkvmException descriptors = checked.refusals().get(ModuleChecks.DESCRIPTORS);
        steps.add(new JsonReports.VerifyStep("descriptors", module.name() + ": descriptors and EL2 symbols ok", descriptors));
        PkvmException abi = checked.refusals().get(ModuleChecks.ABI);
        steps.add(new JsonReports.VerifyStep("abi", abi != null ? null : "%s: ABI ok against %s %s (%s)".formatted(module.name(),
                API.get().module(), API.get().version(), checked.abi().orElse(null) == SymbolCheck.Outcome.VERSIONS_MATCH
                        ? "modversions match" : "no modversions; every reference links"), abi));
        List<Violation> violations = checked.violations();
        String el2Summary;
        if (module.el2().isEmpty()) {
            el2Summary = "%s: no EL2 part, no EL2 code to verify".formatted(module.name());
        } else {
            int classes = checked.el2Classes();
            el2Summary = "%s: EL2 code %s: %d violation%s in %d class%s (policy %s)".formatted(module.name(),
                    violations.isEmpty() ? "ok" : "refused", violations.size(), violations.size() == 1 ? "" : "s",
                    classes, classes == 1 ? "" : "es", policy.source());
        }
        return print(out, module, steps, violations, el2Summary, policy);
    }

    private int print(PrintWriter out, ModuleFile module, List<JsonReports.VerifyStep> steps, List<Violation> violations,
            String el2Summary, El2Policy policy) {
        boolean passed = violations.isEmpty() && steps.stream().allMatch(st -> st.refusal() == null);
        if (json) {
            JsonReports.verify(out, module.name(), steps, violations, policy.source().toString(), passed);
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

    /** The running {@code org.pkvm4j.api}, read from its jar once per run. */
    private static final Supplier<AbiModel> API = new Supplier<>() {
        private AbiModel model;

        @Override
        public synchronized AbiModel get() {
            if (model == null) {
                try {
                    Path apiJar = AbiCommandSupport.runningApiLocation();
                    model = AbiModel.read(Files.isDirectory(apiJar) ? JarImage.ofDirectory(apiJar)
                            : JarImage.read(apiJar.toString(), Files.readAllBytes(apiJar)));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the running org.pkvm4j.api", e);
                }
            }
            return model;
        }
    };

    private static AbiModel runningApi() {
        return API.get();
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
