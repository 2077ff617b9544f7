package org.pkvm4j.host.loader;

import java.lang.module.ModuleDescriptor;
import java.util.List;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.initramfs.ModuleFile;

/**
 * The checks {@code modprobe} runs on a module file before defining any class, for tools that have
 * no running kernel ({@code pkvm verify}): both descriptors and the EL2 symbol table.
 *
 * <p>Kernel counterpart: what {@code modpost} reports at build time and {@code load_module()}
 * refuses at load. Offline there is no initramfs to resolve {@code depends=} against, so when the
 * module names dependencies, the EL1 module's other requires are taken to be theirs; with no
 * {@code depends=} they are refused exactly as at load. The EL2 allow-list is {@link
 * org.pkvm4j.host.verify.El2Verifier}'s job.
 */
public final class PreloadChecks {
    private PreloadChecks() {
    }

    /**
     * Runs the descriptor and symbol checks on {@code file}.
     *
     * @throws PkvmException the first failure, with the errno the loader would report ({@code
     *     EPERM} for forbidden requires, {@code ENOEXEC} for a bad descriptor or symbol)
     */
    public static void check(ModuleFile file) {
        String module = file.name();
        ModuleDescriptor el1 = DescriptorPolicy.read(file.el1());
        List<String> dependencies = file.modinfo().depends().isEmpty() ? List.of() : el1.requires().stream()
                .map(ModuleDescriptor.Requires::name)
                .filter(n -> !n.equals(DescriptorPolicy.API) && !n.equals(DescriptorPolicy.LOG4J_API))
                .toList();
        DescriptorPolicy.checkEl1(module, el1, dependencies);
        file.el2().ifPresent(jar -> {
            DescriptorPolicy.checkEl2(module, DescriptorPolicy.read(jar), el1);
            El2SymbolTable.scan(module, jar);
        });
    }
}
