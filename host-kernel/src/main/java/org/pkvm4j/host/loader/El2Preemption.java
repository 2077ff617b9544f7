package org.pkvm4j.host.loader;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.preempt.PreemptFlagClass;
import org.pkvm4j.host.preempt.PreemptionException;
import org.pkvm4j.host.preempt.PreemptionPoints;

/**
 * The hyp build's part of an EL2 layer: every approved class with its preemption points, and the
 * generated flag classes, as the {@link El2ClassHooks} its loader defines them through.
 *
 * <p>Kernel counterpart: none (see {@code org.pkvm4j.host.preempt}). The whole module is rewritten
 * at load, before any class is defined, so code that cannot be made stoppable is a refused load
 * ({@code ENOEXEC}), never a failure inside EL2; the result depends on the bytes alone and is
 * computed once per file digest ({@link LoadCache}).
 */
final class El2Preemption {
    private El2Preemption() {
    }

    /**
     * The hooks of {@code el2}, the approved EL2 part of {@code module} whose file has digest
     * {@code sha256}.
     *
     * @throws org.pkvm4j.api.PkvmException {@code ENOEXEC} ({@code PKVM-LOAD-BAD-CLASS}) if a
     *     method cannot be made stoppable (an exception handler that covers its own code)
     */
    static El2ClassHooks hooks(String module, String sha256, CheckedModule.Part el2) {
        return LoadCache.get(sha256, "el2 preemption", () -> build(module, el2));
    }

    private static El2ClassHooks build(String module, CheckedModule.Part el2) {
        ApprovedClasses approved = el2.classes();
        Map<String, String> nameOfEntry = new HashMap<>();
        Map<String, byte[]> classes = new LinkedHashMap<>();
        for (String cn : approved.binaryNames()) {
            String entry = approved.entryOf(cn).orElseThrow();
            nameOfEntry.put(entry, cn);
            classes.put(entry, el2.jar().entry(entry).orElseThrow());
        }
        Map<String, byte[]> stoppable;
        try {
            stoppable = PreemptionPoints.apply(approved.packages(), classes);
        } catch (PreemptionException e) {
            throw new Refusal(ErrorCode.LOAD_BAD_CLASS, Errno.ENOEXEC, module + ": EL2 code cannot be made stoppable: "
                    + e.getMessage(), e);
        }
        Map<String, byte[]> rewritten = new HashMap<>();
        Map<String, byte[]> generated = new HashMap<>();
        stoppable.forEach((entry, bytes) -> {
            String cn = nameOfEntry.get(entry);
            if (cn != null) {
                rewritten.put(cn, bytes);
            } else {
                generated.put(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'), bytes);
            }
        });
        // The loader checked the approved digest before it asks: the rewrite of exactly those bytes.
        String flag = PreemptFlagClass.binaryName(approved.packages().stream().sorted().findFirst().orElseThrow());
        return new El2ClassHooks((cn, bytes) -> rewritten.get(cn), generated,
                generated.containsKey(flag) ? Optional.of(flag) : Optional.empty());
    }
}
