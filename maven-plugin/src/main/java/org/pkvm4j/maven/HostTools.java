package org.pkvm4j.maven;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.ModVersions;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.PreloadChecks;
import org.pkvm4j.host.verify.El2Policy;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;

/**
 * The one place the plugin calls the kernel's build tools: {@code modpost} and the checks {@code
 * modprobe} runs before defining a class (the same calls {@code pkvm modpost} and {@code pkvm
 * verify} make).
 *
 * <p>Kept to this class on purpose: the check pipeline and the tools' home are being reshaped
 * (one pipeline for modprobe, verify and the plugin; the tools out of the kernel module), and only
 * this file follows them.
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
     * @throws IllegalArgumentException if the classes use something that API does not have
     */
    static String modpost(Path el1Classes, Path apiJar) throws IOException {
        AbiModel api = abi(apiJar);
        List<JarImage> jars = new ArrayList<>();
        jars.add(JarImage.ofDirectory(el1Classes));
        Path el2 = el1Classes.resolve(EL2_ENTRY);
        if (Files.isRegularFile(el2)) {
            jars.add(JarImage.read(el2.toString(), Files.readAllBytes(el2)));
        }
        ModVersions record = ModVersions.compute(jars, api);
        Path out = el1Classes.resolve(MODVERSIONS_ENTRY);
        Files.createDirectories(out.getParent());
        Files.writeString(out, record.format());
        return "modpost: %d symbols of %s %s recorded in %s".formatted(record.crcs().size(), api.module(), api.version(), out);
    }

    /**
     * The checks modprobe runs on {@code moduleFile} before defining a class, offline: descriptors
     * and EL2 symbols, the ABI against {@code apiJar} (the device's API), and the EL2 code against
     * the bundled EL2 policy. Every finding, passed or not, in that order.
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
        try {
            PreloadChecks.check(module);
            findings.add(new Finding("descriptors", true, module.name() + ": descriptors and EL2 symbols ok"));
        } catch (PkvmException e) {
            findings.add(refused("descriptors", e));
        }
        try {
            AbiModel api = abi(apiJar);
            SymbolCheck.Outcome abi = SymbolCheck.check(module.name(), module.jars(), api);
            findings.add(new Finding("abi", true, "%s: ABI ok against %s %s (%s)".formatted(module.name(), api.module(), api.version(),
                    abi == SymbolCheck.Outcome.VERSIONS_MATCH ? "modversions match" : "no modversions; every reference links")));
        } catch (PkvmException e) {
            findings.add(refused("abi", e));
        }
        if (module.el2().isPresent()) {
            El2Policy policy = El2Policy.bundled();
            List<Violation> violations = new El2Verifier(policy).verify(module.el2().get());
            violations.forEach(v -> findings.add(new Finding("el2-code", false, v + " [" + v.code().code() + "]")));
            if (violations.isEmpty()) {
                findings.add(new Finding("el2-code", true, module.name() + ": EL2 code ok (policy " + policy.source() + ")"));
            }
        }
        return findings;
    }

    private static Finding refused(String step, PkvmException e) {
        return new Finding(step, false, e.getMessage() + " [" + ErrorCode.ofLoad(e).code() + "]");
    }

    private static AbiModel abi(Path apiJar) throws IOException {
        return AbiModel.read(Files.isDirectory(apiJar) ? JarImage.ofDirectory(apiJar)
                : JarImage.read(apiJar.toString(), Files.readAllBytes(apiJar)));
    }
}
