package org.pkvm4j.host.loader;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.ModuleFile;

/**
 * {@code modules.dep}: the load order of a module and everything it depends on, resolved from the
 * {@code depends=} of each module file before anything is loaded.
 *
 * <p>Kernel counterpart: {@code depmod} and the dependency walk of {@code modprobe} (libkmod's
 * probe list). Resolving the whole graph first is what keeps a cycle or a missing dependency from
 * leaving half of a chain loaded: either every file of the chain is there and the graph is a DAG,
 * or nothing is loaded at all.
 */
final class ModulesDep {
    private final Function<String, ModuleFile> reader;
    private final Predicate<String> isLoaded;
    private final Map<String, ModuleFile> ordered = new LinkedHashMap<>();
    private final Set<String> visiting = new HashSet<>();
    private final List<String> chain = new ArrayList<>();

    private ModulesDep(Function<String, ModuleFile> reader, Predicate<String> isLoaded) {
        this.reader = reader;
        this.isLoaded = isLoaded;
    }

    /**
     * The module files to load for {@code module}, dependencies first (post-order, in {@code
     * depends=} order), skipping modules already loaded.
     *
     * @param reader reads the file of a module name (checked: it declares that name), throwing
     *     {@code ENOENT} when the initramfs has no such file
     * @throws PkvmException {@code EINVAL} for a cycle, naming it ({@code dependency cycle a -> b ->
     *     a}); {@code ENOENT} for a missing dependency, naming the chain that needs it; any error of
     *     {@code reader}
     */
    static List<ModuleFile> resolve(String module, Function<String, ModuleFile> reader, Predicate<String> isLoaded) {
        ModulesDep dep = new ModulesDep(reader, isLoaded);
        dep.visit(module);
        return List.copyOf(dep.ordered.values());
    }

    /** The message of {@code e} without the errno name its message starts with. */
    static String detail(PkvmException e) {
        String prefix = e.errno().name() + ": ";
        String m = e.getMessage();
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    private void visit(String module) {
        if (ordered.containsKey(module) || isLoaded.test(module)) {
            return;
        }
        chain.add(module);
        if (!visiting.add(module)) {
            List<String> cycle = chain.subList(chain.indexOf(module), chain.size());
            throw new Refusal(ErrorCode.LOAD_DEPENDENCY_CYCLE, Errno.EINVAL, "modprobe " + chain.getFirst()
                    + ": dependency cycle " + String.join(" -> ", cycle));
        }
        ModuleFile file;
        try {
            file = reader.apply(module);
        } catch (PkvmException e) {
            if (chain.size() == 1) {
                throw e;
            }
            throw new Refusal(ErrorCode.ofLoad(e), e.errno(), "modprobe " + chain.getFirst() + ": dependency " + module + " of "
                    + chain.get(chain.size() - 2) + " cannot be loaded (" + String.join(" -> ", chain) + "): "
                    + detail(e), e);
        }
        for (String dependency : file.modinfo().depends()) {
            visit(dependency);
        }
        visiting.remove(module);
        chain.removeLast();
        ordered.put(module, file);
    }
}
