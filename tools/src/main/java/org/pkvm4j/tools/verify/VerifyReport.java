package org.pkvm4j.tools.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.kmi.Kmi;
import org.pkvm4j.host.loader.CheckedModule;
import org.pkvm4j.host.loader.ModuleChecks;
import org.pkvm4j.host.verify.El2Allowlist;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;

/**
 * The checks modprobe runs before defining any class, offline, with every EL2 code violation
 * listed rather than the first: what {@code pkvm verify} prints and a module's build fails on.
 *
 * <p>Kernel counterpart: building a module against the hyp {@code Makefile.module} rules, which
 * fail the link of any EL2 object naming a symbol EL2 may not use.
 *
 * @param module the module's name
 * @param steps the descriptor and ABI checks, each passed or refused
 * @param violations every EL2 code violation (empty when the EL2 code passes or there is none)
 * @param el2Summary one line on the EL2 code: ok, refused with counts, or no EL2 part
 * @param allowlist where the EL2 allow-list came from
 */
// "exports": the host exports org.pkvm4j.host.abi and .verify to the CLI and these tools only; the
// tools' other caller, the Maven plugin, runs on the class path, where module exports do not apply.
@SuppressWarnings("exports")
public record VerifyReport(String module, List<Step> steps, List<Violation> violations, String el2Summary, String allowlist) {
    /** One check: passed with {@code detail}, or refused with the loader's exception. */
    public record Step(String check, String detail, PkvmException refusal) {
    }

    /** Copies the lists. */
    public VerifyReport {
        steps = List.copyOf(steps);
        violations = List.copyOf(violations);
    }

    /** True when every check passed and the EL2 code has no violation. */
    public boolean passed() {
        return violations.isEmpty() && steps.stream().allMatch(st -> st.refusal() == null);
    }

    /**
     * Runs every check on {@code module} against the API at {@code api} (a jar or class folder)
     * and {@code allowlist}.
     *
     * @throws IOException if the API cannot be read
     */
    public static VerifyReport of(ModuleFile module, Path api, El2Allowlist allowlist) throws IOException {
        AbiModel model = AbiModel.read(Files.isDirectory(api) ? JarImage.ofDirectory(api)
                : JarImage.read(api.toString(), Files.readAllBytes(api)));
        List<Step> steps = new ArrayList<>();
        // The pipeline modprobe runs; here every check reports, a refused one does not stop the next.
        CheckedModule checked;
        try {
            checked = ModuleChecks.report(module, ModuleChecks.Options.offline(() -> model, new El2Verifier(allowlist)));
        } catch (PkvmException e) {
            // An entry or class file refused: nothing else may be read.
            steps.add(new Step(ModuleChecks.ENTRIES, null, e));
            return new VerifyReport(module.name(), steps, List.of(), "%s: not checked further".formatted(module.name()),
                    allowlist.source());
        }
        PkvmException descriptors = checked.refusals().get(ModuleChecks.DESCRIPTORS);
        steps.add(new Step("descriptors", module.name() + ": descriptors and EL2 symbols ok", descriptors));
        PkvmException kmi = checked.refusals().get(ModuleChecks.KMI);
        String recorded = module.modinfo().kmi();
        steps.add(new Step("kmi", kmi != null ? null : recorded.isEmpty()
                ? "%s: no KMI recorded (modinfo kmi=); members of %s ok".formatted(module.name(), Kmi.DEFAULT)
                : "%s: KMI %s ok: its handler ABI and members".formatted(module.name(), recorded), kmi));
        PkvmException abi = checked.refusals().get(ModuleChecks.ABI);
        steps.add(new Step("abi", abi != null ? null : "%s: ABI ok against %s %s (%s)".formatted(module.name(),
                model.module(), model.version(), checked.abi().orElse(null) == SymbolCheck.Outcome.VERSIONS_MATCH
                        ? "modversions match" : "no modversions; every reference links"), abi));
        List<Violation> violations = checked.violations();
        String el2Summary;
        if (module.el2().isEmpty()) {
            el2Summary = "%s: no EL2 part, no EL2 code to verify".formatted(module.name());
        } else {
            int classes = checked.el2Classes();
            el2Summary = "%s: EL2 code %s: %d violation%s in %d class%s (allow-list %s)".formatted(module.name(),
                    violations.isEmpty() ? "ok" : "refused", violations.size(), violations.size() == 1 ? "" : "s",
                    classes, classes == 1 ? "" : "es", allowlist.source());
        }
        return new VerifyReport(module.name(), steps, violations, el2Summary, allowlist.source());
    }

    /**
     * The EL2 allow-list in {@code file}, or the bundled one if null.
     *
     * @throws BootConfigException if the file cannot be read or is malformed
     */
    public static El2Allowlist allowlist(Path file) {
        if (file == null) {
            return El2Allowlist.bundled();
        }
        try {
            return El2Allowlist.read(file);
        } catch (IOException e) {
            throw new BootConfigException("cannot read allow-list " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new BootConfigException("malformed allow-list: " + e.getMessage(), e);
        }
    }
}
