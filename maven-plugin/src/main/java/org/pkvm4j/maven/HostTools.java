package org.pkvm4j.maven;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.ModVersions;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.tools.modpost.ModPost;
import org.pkvm4j.tools.verify.VerifyReport;

/**
 * The one place the plugin calls the kernel's build tools: {@code modpost} and the checks {@code
 * modprobe} runs before defining a class (the same calls {@code pkvm modpost} and {@code pkvm
 * verify} make).
 *
 * <p>Both come from the author tools ({@code pkvm4j-tools}), over the kernel's one check pipeline
 * ({@code ModuleChecks}): the plugin, {@code pkvm verify} and {@code modprobe} cannot disagree.
 */
final class HostTools {
    /** Where the EL2 jar lives inside the module file. */
    static final String EL2_ENTRY = ModuleFile.EL2_ENTRY;
    /** Where modpost's record lives inside the module file. */
    static final String MODVERSIONS_ENTRY = ModVersions.ENTRY;

    /**
     * What one check found.
     *
     * @param step the check (descriptors, abi, el2-code)
     * @param passed whether it passed
     * @param line what to print: the summary, or the refusal with its {@code [PKVM-…]} code
     */
    record Finding(String step, boolean passed, String line) {
    }

    private HostTools() {
    }

    /**
     * {@code modpost}: writes {@value #MODVERSIONS_ENTRY} under {@code el1Classes} (which already
     * holds the EL2 jar) for the API jar the module was compiled against.
     *
     * @return the summary line
     */
    static String modpost(Path el1Classes, Path apiJar) throws IOException {
        ModPost.Result r = ModPost.run(el1Classes, apiJar);
        return "modpost: %d symbols of %s %s recorded in %s".formatted(r.symbols(), r.apiModule(), r.apiVersion(), r.record());
    }

    /**
     * The checks modprobe runs on {@code moduleFile} before defining a class, offline, through the
     * pipeline {@code pkvm verify} runs ({@link VerifyReport}): entries, descriptors and EL2 symbols,
     * the ABI against {@code apiJar} (the device's API), and the EL2 code against the bundled
     * allow-list. Every finding, passed or not, in that order.
     */
    static List<Finding> check(Path moduleFile, Path apiJar) throws IOException {
        List<Finding> findings = new ArrayList<>();
        ModuleFile module;
        try {
            module = ModuleFile.read(moduleFile);
        } catch (PkvmException e) {
            findings.add(refused("module-file", e));
            return findings;
        }
        VerifyReport report = VerifyReport.of(module, apiJar, VerifyReport.allowlist(null));
        for (VerifyReport.Step step : report.steps()) {
            findings.add(step.refusal() == null ? new Finding(step.check(), true, step.detail()) : refused(step.check(), step.refusal()));
        }
        report.violations().forEach(v -> findings.add(new Finding("el2-code", false, v + " [" + v.code().code() + "]")));
        if (module.el2().isPresent() && report.violations().isEmpty()) {
            findings.add(new Finding("el2-code", true, report.el2Summary()));
        }
        return findings;
    }

    private static Finding refused(String step, PkvmException e) {
        return new Finding(step, false, e.getMessage() + " [" + ErrorCode.ofLoad(e).code() + "]");
    }
}
