package org.pkvm4j.host.loader;

import java.lang.module.ModuleDescriptor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.verify.Violation;
import org.pkvm4j.machine.El2Image;

/**
 * A module file after {@link ModuleChecks}: what every check found, and the only thing the loader
 * defines layers from.
 *
 * <p>Kernel counterpart: the {@code struct load_info} that {@code load_module()} fills while it
 * checks the file, and from which it then lays the module out.
 */
public final class CheckedModule {
    /**
     * One part of the module, EL1 or EL2: its jar, its descriptor and the classes approved in it.
     *
     * @param descriptor the module descriptor, read from its {@code module-info.class}
     * @param jar the jar's bytes
     * @param classes the class files its loader may define
     */
    public record Part(ModuleDescriptor descriptor, JarImage jar, ApprovedClasses classes) {
    }

    private final ModuleFile file;
    private final Part el1;
    private final Optional<Part> el2;
    private final El2SymbolTable symbols;
    private final El2Image.Sections sections;
    private final Optional<SymbolCheck.Outcome> abi;
    private final List<Violation> violations;
    private final boolean el2Verified;
    private final Map<String, PkvmException> refusals;

    CheckedModule(ModuleFile file, Part el1, Optional<Part> el2, El2SymbolTable symbols, El2Image.Sections sections,
            Optional<SymbolCheck.Outcome> abi, List<Violation> violations, boolean el2Verified,
            Map<String, PkvmException> refusals) {
        this.file = file;
        this.el1 = el1;
        this.el2 = el2;
        this.symbols = symbols;
        this.sections = sections;
        this.abi = abi;
        this.violations = List.copyOf(violations);
        this.el2Verified = el2Verified;
        this.refusals = new LinkedHashMap<>(refusals);
    }

    /** The module name. */
    public String name() {
        return file.name();
    }

    /** The module file checked. */
    public ModuleFile file() {
        return file;
    }

    /** The EL1 part. */
    public Part el1() {
        return el1;
    }

    /** The EL2 part, if the module has one. */
    public Optional<Part> el2() {
        return el2;
    }

    /** The outcome of the ABI check; empty if it was switched off or refused the module. */
    // "exports": org.pkvm4j.host.abi and .verify are exported to the author tools and the CLI only, which
    // are this member's callers.
    @SuppressWarnings("exports")
    public Optional<SymbolCheck.Outcome> abi() {
        return abi;
    }

    /** Every violation of the EL2 code rules; empty when the code passed or was not verified. */
    @SuppressWarnings("exports") // as abi()
    public List<Violation> violations() {
        return violations;
    }

    /** Whether the EL2 code was verified at all (false for an EL1-only module or a switch). */
    public boolean el2Verified() {
        return el2Verified;
    }

    /**
     * The refusals of the checks that did not stop the others, by check ({@value ModuleChecks#DESCRIPTORS},
     * {@value ModuleChecks#ABI}): empty from {@link ModuleChecks#check}, which throws the first.
     */
    public Map<String, PkvmException> refusals() {
        return refusals;
    }

    /** Whether every check passed. */
    public boolean passed() {
        return refusals.isEmpty() && violations.isEmpty();
    }

    /** The number of class files approved in the EL2 part. */
    public int el2Classes() {
        return el2.map(p -> p.classes().binaryNames().size()).orElse(0);
    }

    El2SymbolTable symbols() {
        return symbols;
    }

    El2Image.Sections sections() {
        return sections;
    }
}
