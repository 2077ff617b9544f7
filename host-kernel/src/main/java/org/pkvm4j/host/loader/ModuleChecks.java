package org.pkvm4j.host.loader;

import java.lang.module.ModuleDescriptor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.abi.AbiModel;
import org.pkvm4j.host.abi.ApiReferences;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.classfile.ClassModels;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.kmi.Kmi;
import org.pkvm4j.host.kmi.KmiCheck;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;
import org.pkvm4j.machine.El2Image;

/**
 * The one check pipeline of a module file, run by {@code modprobe} before it defines anything, by
 * {@code pkvm verify} offline, and by the build: every class file approved, names, descriptors,
 * EL2 symbols, ABI, and the EL2 code rules.
 *
 * <p>Kernel counterpart: what {@code load_module()} checks before {@code layout_and_allocate()},
 * and what {@code modpost} reports at build time. In order:
 * <ol>
 *   <li>{@value #ENTRIES}: both descriptors, reserved names, and every class file of both jars
 *       approved ({@link ApprovedClasses}). Later checks parse only approved class files, so this
 *       one always stops the pipeline;</li>
 *   <li>{@value #DESCRIPTORS}: what each descriptor requires, and the EL2 symbol table;</li>
 *   <li>{@value #KMI}: built for the device's KMI, with its handler ABI and only its members
 *       ({@link KmiCheck}; never switched off, as the kernel's vermagic check);</li>
 *   <li>{@value #ABI}: modversions and links against the running API (unless switched off);</li>
 *   <li>{@value #EL2_CODE}: the EL2 code rules (unless switched off), every violation listed.</li>
 * </ol>
 * What a file's bytes alone decide is computed once per JVM and digest ({@link LoadCache}) when
 * the options say so.
 */
public final class ModuleChecks {
    /** The check of entries, names and class files. */
    public static final String ENTRIES = "entries";
    /** The check of descriptors and EL2 symbols. */
    public static final String DESCRIPTORS = "descriptors";
    /** The KMI check. */
    public static final String KMI = "kmi";
    /** The ABI check. */
    public static final String ABI = "abi";
    /** The EL2 code rules. */
    public static final String EL2_CODE = "el2";

    private ModuleChecks() {
    }

    /**
     * How to check.
     *
     * @param dependencyModules the EL1 module names of the modules in {@code depends=}, as loaded;
     *     empty offline: then, when the module names dependencies, its EL1 module's other requires
     *     are taken to be theirs
     * @param api the running API, or null to skip the ABI check ({@code pkvm.modversions=0})
     * @param verifier the EL2 code verifier, or null to skip it ({@code pkvm.el2_verify=0})
     * @param cached whether results that depend on the bytes alone are kept per digest (the bundled
     *     verifier and the running API only)
     * @param kmi the device's KMI; empty offline, where a module is checked against the KMI it records
     */
    // "exports": org.pkvm4j.host.abi and .verify are exported to the author tools and the CLI only, which
    // are this member's callers.
    @SuppressWarnings("exports")
    public record Options(Optional<List<String>> dependencyModules, Supplier<AbiModel> api, El2Verifier verifier,
            boolean cached, Optional<Kmi> kmi) {
        /** Options for a device of the default KMI. */
        public Options(Optional<List<String>> dependencyModules, Supplier<AbiModel> api, El2Verifier verifier,
                boolean cached) {
            this(dependencyModules, api, verifier, cached, Optional.of(Kmi.DEFAULT));
        }

        /** Checks as {@code pkvm verify} does: offline, with {@code verifier} and the API {@code api}. */
        public static Options offline(Supplier<AbiModel> api, El2Verifier verifier) {
            return new Options(Optional.empty(), api, verifier, false, Optional.empty());
        }
    }

    /**
     * Runs every check, stopping at the first refusal, as {@code modprobe} does; EL2 code that breaks
     * the rules is refused too.
     *
     * @throws PkvmException the first refusal, with its errno and code
     */
    public static CheckedModule check(ModuleFile file, Options options) {
        CheckedModule checked = run(file, options, true);
        List<Violation> refused = checked.violations();
        if (!refused.isEmpty()) {
            throw new Refusal(ErrorCode.LOAD_EL2_POLICY, Errno.EPERM, file.name() + ": EL2 code refused: " + refused.getFirst()
                    + (refused.size() > 1 ? " (and " + (refused.size() - 1) + " more)" : ""));
        }
        return checked;
    }

    /**
     * Runs every check and reports each, as {@code pkvm verify} does: a refused descriptor or ABI
     * check does not stop the others ({@link CheckedModule#refusals()}); a refused entry or class
     * file does, since no later check may read what was not approved.
     *
     * @throws PkvmException a refusal of {@value #ENTRIES}
     */
    public static CheckedModule report(ModuleFile file, Options options) {
        return run(file, options, false);
    }

    private static CheckedModule run(ModuleFile file, Options options, boolean stopAtFirst) {
        // Every check below reads the same class files: each is parsed once, by its approval.
        return ClassModels.sharing(() -> runChecks(file, options, stopAtFirst));
    }

    private static CheckedModule runChecks(ModuleFile file, Options options, boolean stopAtFirst) {
        String module = file.name();
        String sha = file.sha256();
        Map<String, PkvmException> refusals = new LinkedHashMap<>();
        // 1. Entries: nothing below reads a class file this did not approve.
        CheckedModule.Part el1 = part(module, "EL1", file.el1(), sha, "el1", options.cached());
        Optional<CheckedModule.Part> el2 = file.el2().isPresent()
                ? Optional.of(part(module, "EL2", file.el2().get(), sha, "el2", options.cached())) : Optional.empty();
        // 2. Descriptors and symbols.
        El2SymbolTable symbols = null;
        try {
            DescriptorPolicy.checkEl1(module, el1.descriptor(), options.dependencyModules().isPresent()
                    ? options.dependencyModules().get() : offlineDependencies(file, el1.descriptor()));
            if (el2.isPresent()) {
                DescriptorPolicy.checkEl2(module, el2.get().descriptor(), el1.descriptor());
                JarImage jar = el2.get().jar();
                symbols = cached(options, sha, "el2 symbols", guarded(module, jar, () -> El2SymbolTable.scan(module, jar)));
            }
        } catch (PkvmException e) {
            fail(stopAtFirst, refusals, DESCRIPTORS, e);
        }
        // 3. The KMI: vermagic, handler ABI, members (what the file's bytes say is cached per digest).
        ApiReferences refs = null;
        try {
            Optional<Kmi> built = KmiCheck.recorded(module, file.modinfo().kmi());
            refs = cached(options, sha, "api references", guarded(module, file.el1(), () -> ApiReferences.scan(file.jars())));
            KmiCheck.check(module, built, options.kmi(), refs);
        } catch (PkvmException e) {
            fail(stopAtFirst, refusals, KMI, e);
        }
        // 4. The ABI, on the references step 3 scanned (scanned anew if it was refused before they were).
        ApiReferences scanned = refs;
        Optional<SymbolCheck.Outcome> abi = Optional.empty();
        if (options.api() != null) {
            try {
                abi = Optional.of(cached(options, sha, "abi", guarded(module, file.el1(),
                        () -> scanned == null ? SymbolCheck.check(module, file.jars(), options.api().get())
                                : SymbolCheck.check(module, file.jars(), options.api().get(), scanned))));
            } catch (PkvmException e) {
                fail(stopAtFirst, refusals, ABI, e);
            }
        }
        // 5. The EL2 code rules, and the sections the EL2 image will take.
        List<Violation> violations = List.of();
        El2Image.Sections sections = null;
        if (el2.isPresent()) {
            JarImage jar = el2.get().jar();
            if (options.verifier() != null) {
                violations = cached(options, sha, "el2 verify", guarded(module, jar, () -> List.copyOf(options.verifier().verify(jar, el2.get().classes().binaryNames()))));
            }
            sections = cached(options, sha, "el2 sections", guarded(module, jar, () -> El2Sections.of(jar)));
        }
        return new CheckedModule(file, el1, el2, symbols, sections, abi, violations,
                el2.isPresent() && options.verifier() != null, refusals);
    }

    private static CheckedModule.Part part(String module, String level, JarImage jar, String sha, String key, boolean cached) {
        ModuleDescriptor descriptor = cachedIf(cached, sha, key + " descriptor", () -> DescriptorPolicy.read(jar));
        ReservedNames.check(module, level, descriptor);
        ApprovedClasses classes = cachedIf(cached, sha, key + " approved", () -> ApprovedClasses.approve(module, jar, descriptor));
        return new CheckedModule.Part(descriptor, jar, classes);
    }

    /**
     * Offline there is no initramfs to resolve {@code depends=} against: when the module names
     * dependencies, its EL1 module's other requires are taken to be theirs; with none, they are
     * refused exactly as at load.
     */
    private static List<String> offlineDependencies(ModuleFile file, ModuleDescriptor el1) {
        return file.modinfo().depends().isEmpty() ? List.of() : el1.requires().stream()
                .map(ModuleDescriptor.Requires::name)
                .filter(n -> !n.equals(DescriptorPolicy.API) && !n.equals(DescriptorPolicy.LOG4J_API))
                .toList();
    }

    private static void fail(boolean stopAtFirst, Map<String, PkvmException> refusals, String check, PkvmException e) {
        if (stopAtFirst) {
            throw e;
        }
        refusals.put(check, e);
    }

    /**
     * {@code compute}, with any exception other than a refusal turned into one: every class file was
     * parsed whole when it was approved, so a check that still cannot read one is refused as a bad
     * class, never a stack trace.
     */
    private static <T> Supplier<T> guarded(String module, JarImage jar, Supplier<T> compute) {
        return () -> {
            try {
                return compute.get();
            } catch (PkvmException | java.io.UncheckedIOException e) {
                throw e; // a refusal, or the running API that cannot be read: not the module's fault
            } catch (RuntimeException e) {
                throw new Refusal(ErrorCode.LOAD_BAD_CLASS, Errno.ENOEXEC, module + ": " + jar.label()
                        + " has a class file the checks cannot read: " + e.getClass().getSimpleName() + ": " + Printable.reason(e), e);
            }
        };
    }

    private static <T> T cached(Options options, String sha, String what, Supplier<T> compute) {
        return cachedIf(options.cached(), sha, what, compute);
    }

    private static <T> T cachedIf(boolean cached, String sha, String what, Supplier<T> compute) {
        return cached ? LoadCache.get(sha, what, compute) : Objects.requireNonNull(compute.get());
    }
}
